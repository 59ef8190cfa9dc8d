"""The daily alert job: ends of the sublease and support contracts' current terms, support
contracts to sign, debts, missed repayment instalments, households without contact, planned
exits to record.

Each rule is one SQL query giving its current *candidates* (subject, milestone, due date,
level, assignee). One statement per rule then inserts the new ones, updates those whose level
or due date moved (an escalation reopens a seen alert), and resolves the open ones that are no
longer candidates — set-based, whatever the number of contracts, and a second run changes
nothing (unique key: organisation, kind, subject, milestone). The thresholds are the
dispositif's (``Dispositif.alert_*``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from alerts.models import AlertKind
from households.stays import MONTHS_OF_STAY_SQL
from iml.models import Organisation, Role
from iml.rls import organisation_transaction

# The level of a dated milestone, for the query's ``today``.
LEVEL = """CASE WHEN %(today)s::date < due_date THEN 'warning'
               WHEN %(today)s::date = due_date THEN 'due' ELSE 'overdue' END"""

PRESENT = """h.entry_date IS NOT NULL AND h.entry_date <= %(today)s
             AND (h.exit_date IS NULL OR h.exit_date > %(today)s)
             AND h.withdrawal_date IS NULL"""


def _terms(contracts: str, amendments: str, assignee: str, where: str = "") -> str:
    """The end of each running contract's current term (its last amendment's, else the
    initial end): a warning the dispositif's N days before, due on the day, overdue after,
    until an amendment carries the term further (a new term, a new alert) or the household
    leaves. The milestone is the stay's completed months at the term's end: from 18, the
    renewal needs a written justification (``households.stays.beyond_limit``)."""
    months = MONTHS_OF_STAY_SQL.format(end="t.current_end", entry="h.entry_date")
    return f"""
    SELECT subject_id, household_id, milestone, due_date, {LEVEL} AS level,
           assignee_id, assignee_role
    FROM (
        SELECT c.id AS subject_id, h.id AS household_id,
               GREATEST({months}, 0)::text AS milestone, t.current_end AS due_date,
               d.alert_warning_days AS warning_days, {assignee}
        FROM {contracts} c
        CROSS JOIN LATERAL (
            SELECT COALESCE((SELECT a.new_end_date FROM {amendments} a
                             WHERE a.contract_id = c.id ORDER BY a.number DESC LIMIT 1),
                            c.initial_end_date) AS current_end
        ) AS t
        JOIN households_household h ON h.id = c.household_id
        JOIN iml_dispositif d ON d.id = h.dispositif_id
        WHERE c.organisation_id = %(organisation)s AND {PRESENT} {where}
    ) AS dated
    WHERE %(today)s >= due_date - warning_days
    """


RULES: dict[str, str] = {
    AlertKind.SUBLEASE_RENEWAL: _terms(
        "tenancy_subleasecontract",
        "tenancy_amendment",
        f"NULL::bigint AS assignee_id, '{Role.REGISSEUR.value}' AS assignee_role",
        where="AND c.actual_end_date IS NULL",
    ),
    AlertKind.SUPPORT_RENEWAL: _terms(
        "support_supportcontract",
        "support_supportamendment",
        f"c.referent_id AS assignee_id, '{Role.SOCIAL_WORKER.value}' AS assignee_role",
    ),
    AlertKind.SUPPORT_SIGNATURE: f"""
    SELECT subject_id, household_id, milestone, due_date, {LEVEL} AS level,
           assignee_id, assignee_role
    FROM (
        SELECT h.id AS subject_id, h.id AS household_id, 'signature' AS milestone,
               h.entry_date + d.alert_signature_days AS due_date,
               h.referent_id AS assignee_id, '{Role.SOCIAL_WORKER.value}' AS assignee_role
        FROM households_household h
        JOIN iml_dispositif d ON d.id = h.dispositif_id
        WHERE h.organisation_id = %(organisation)s AND {PRESENT}
          AND NOT EXISTS (SELECT 1 FROM support_supportcontract s WHERE s.household_id = h.id)
    ) AS dated
    -- A week's notice before the signature is due.
    WHERE %(today)s >= due_date - 7
    """,
    # No contact (a missed appointment is not one) for N weeks; each silence is its own
    # alert, keyed by the date of the last contact.
    AlertKind.NO_CONTACT: f"""
    SELECT subject_id, household_id, milestone, due_date, {LEVEL} AS level,
           assignee_id, assignee_role
    FROM (
        SELECT h.id AS subject_id, h.id AS household_id,
               to_char(COALESCE(last.day, h.entry_date), 'YYYY-MM-DD') AS milestone,
               COALESCE(last.day, h.entry_date) + 7 * d.alert_no_contact_weeks AS due_date,
               h.referent_id AS assignee_id, '{Role.SOCIAL_WORKER.value}' AS assignee_role
        FROM households_household h
        JOIN iml_dispositif d ON d.id = h.dispositif_id
        LEFT JOIN (
            SELECT i.household_id, max(i.date) AS day FROM support_interaction i
            WHERE i.organisation_id = %(organisation)s AND i.kind <> 'rdv_non_honore'
            GROUP BY i.household_id
        ) AS last ON last.household_id = h.id
        WHERE h.organisation_id = %(organisation)s AND {PRESENT}
    ) AS dated
    WHERE %(today)s >= due_date
    """,
    # A planned exit: a warning the dispositif's N days before, due on the day (the exit is
    # to record, with its destination), overdue after, until it is recorded or moved.
    AlertKind.PLANNED_EXIT: f"""
    SELECT subject_id, household_id, milestone, due_date, {LEVEL} AS level,
           assignee_id, assignee_role
    FROM (
        SELECT h.id AS subject_id, h.id AS household_id,
               to_char(h.planned_exit_date, 'YYYY-MM-DD') AS milestone,
               h.planned_exit_date AS due_date, d.alert_warning_days AS warning_days,
               h.referent_id AS assignee_id, '{Role.SOCIAL_WORKER.value}' AS assignee_role
        FROM households_household h
        JOIN iml_dispositif d ON d.id = h.dispositif_id
        WHERE h.organisation_id = %(organisation)s AND {PRESENT}
          AND h.planned_exit_date IS NOT NULL
    ) AS dated
    WHERE %(today)s >= due_date - warning_days
    """,
}

# Rules whose candidates a higher app computes with its own definition, (today) -> rows of
# the candidates' columns. The debt rule is the money module's "in debt" rule, the one the
# dashboard, the contract list and "my households" show.
PROVIDED_RULES: dict[str, str] = {
    AlertKind.DEBT: "tenancy.money.debt_alert_candidates",
    AlertKind.INSTALMENT: "tenancy.plans.instalment_alert_candidates",
    AlertKind.PAPER: "papers.watch.paper_alert_candidates",
    AlertKind.HOME_PAPER: "papers.watch.home_paper_alert_candidates",
    AlertKind.DEMAND_RENEWAL: "rehousing.watch.demand_alert_candidates",
    AlertKind.FOLLOW_UP: "rehousing.watch.follow_up_alert_candidates",
    AlertKind.DEBIT_REJECTED: "banking.watch_sepa.debit_rejected_alert_candidates",
    AlertKind.CAF_STOPPED: "banking.watch.caf_stopped_alert_candidates",
}
# A provided row may leave out ``unit_id`` (an alert about a household).
COLUMNS = ("subject_id", "household_id", "unit_id", "milestone", "due_date", "level",
           "assignee_id", "assignee_role")  # fmt: skip
# The provided candidates, passed as arrays.
PROVIDED = """
SELECT * FROM unnest(%(subject_id)s::bigint[], %(household_id)s::bigint[],
                     %(unit_id)s::bigint[], %(milestone)s::text[], %(due_date)s::date[],
                     %(level)s::text[], %(assignee_id)s::bigint[], %(assignee_role)s::text[])
    AS provided(subject_id, household_id, unit_id, milestone, due_date, level, assignee_id,
                assignee_role)
"""
# The rules written in SQL are about households.
ABOUT_HOUSEHOLDS = "SELECT rule.*, NULL::bigint AS unit_id FROM ({rule}) AS rule"

# Inserts the new candidates, updates the moved ones (an escalation reopens it), resolves
# the open alerts of this kind that are no longer candidates. One statement.
_SYNC = """
WITH candidates AS ({candidates}),
upserted AS (
    INSERT INTO iml_alert (public_id, organisation_id, household_id, unit_id, kind, subject_id,
                           milestone, level, due_date, assignee_id, assignee_role, status,
                           created_at, updated_at)
    SELECT gen_random_uuid(), %(organisation)s, household_id, unit_id, %(kind)s, subject_id,
           milestone, level, due_date, assignee_id, assignee_role, 'ouverte', now(), now()
    FROM candidates
    ON CONFLICT (organisation_id, kind, subject_id, milestone) DO UPDATE SET
        status = CASE WHEN iml_alert.status = 'resolue' OR iml_alert.level <> EXCLUDED.level
                      THEN 'ouverte' ELSE iml_alert.status END,
        resolved_at = NULL,
        level = EXCLUDED.level,
        due_date = EXCLUDED.due_date,
        assignee_id = EXCLUDED.assignee_id,
        assignee_role = EXCLUDED.assignee_role,
        updated_at = now()
    WHERE iml_alert.status = 'resolue' OR iml_alert.level <> EXCLUDED.level
       OR iml_alert.due_date <> EXCLUDED.due_date
       OR iml_alert.assignee_id IS DISTINCT FROM EXCLUDED.assignee_id
    RETURNING (xmax = 0) AS inserted
),
resolved AS (
    UPDATE iml_alert AS a SET status = 'resolue', resolved_at = now(), updated_at = now()
    WHERE a.organisation_id = %(organisation)s AND a.kind = %(kind)s AND a.status <> 'resolue'
      AND NOT EXISTS (SELECT 1 FROM candidates c
                      WHERE c.subject_id = a.subject_id AND c.milestone = a.milestone)
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted WHERE inserted),
       (SELECT count(*) FROM upserted WHERE NOT inserted),
       (SELECT count(*) FROM resolved)
"""


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    resolved: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.created += other.created
        self.updated += other.updated
        self.resolved += other.resolved
        return self


def sync_alerts(organisation: Organisation, today: datetime.date | None = None) -> SyncResult:
    """Bring the organisation's alerts up to date (call inside its transaction)."""
    today = today or timezone.localdate()
    result = SyncResult()
    # (kind, candidates' SQL, extra parameters: the provided rows' columns as arrays)
    statements: list[tuple[str, str, dict[str, list[Any]]]] = [
        (kind, ABOUT_HOUSEHOLDS.format(rule=candidates), {}) for kind, candidates in RULES.items()
    ]
    for kind, provider in PROVIDED_RULES.items():
        rows = import_string(provider)(today)
        arrays = {column: [row.get(column) for row in rows] for column in COLUMNS}
        statements.append((kind, PROVIDED, arrays))
    with connection.cursor() as cursor:
        for kind, candidates, extra in statements:
            cursor.execute(
                _SYNC.format(candidates=candidates),
                {"organisation": organisation.pk, "today": today, "kind": str(kind), **extra},
            )
            created, updated, resolved = cursor.fetchone()
            result += SyncResult(created, updated, resolved)
    return result


def sync_all(today: datetime.date | None = None) -> SyncResult:
    """Every organisation, each in its own transaction (one failing does not stop the rest
    being committed before it)."""
    total = SyncResult()
    for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
        with organisation_transaction(organisation):
            total += sync_alerts(organisation, today)
    return total
