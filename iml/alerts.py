"""The daily alert job: deadlines of the 6/12/18-month milestones, support contracts to sign,
debts, missed repayment instalments, households without contact.

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

from django.db import connection
from django.utils import timezone

from iml.models import AlertKind, Organisation, Role
from iml.rls import organisation_transaction

# The level of a dated milestone, for the query's ``today``.
LEVEL = """CASE WHEN %(today)s::date < due_date THEN 'warning'
               WHEN %(today)s::date = due_date THEN 'due' ELSE 'overdue' END"""

PRESENT = """h.entry_date IS NOT NULL AND h.entry_date <= %(today)s
             AND (h.exit_date IS NULL OR h.exit_date > %(today)s)
             AND h.withdrawal_date IS NULL"""


def _milestones(contracts: str, amendments: str, assignee: str, where: str = "") -> str:
    """Renewal decisions at 6, 12 and 18 months from entry, while the contract's current end
    has not been carried past the milestone by an amendment."""
    return f"""
    SELECT subject_id, household_id, milestone, due_date, {LEVEL} AS level,
           assignee_id, assignee_role
    FROM (
        SELECT c.id AS subject_id, h.id AS household_id, m.n::text AS milestone,
               (h.entry_date + make_interval(months => m.n))::date AS due_date,
               d.alert_warning_days AS warning_days, {assignee},
               COALESCE((SELECT max(a.new_end_date) FROM {amendments} a
                         WHERE a.contract_id = c.id), c.initial_end_date) AS current_end
        FROM {contracts} c
        JOIN households_household h ON h.id = c.household_id
        JOIN iml_dispositif d ON d.id = h.dispositif_id
        CROSS JOIN (VALUES (6), (12), (18)) AS m(n)
        WHERE c.organisation_id = %(organisation)s AND {PRESENT} {where}
    ) AS dated
    WHERE current_end <= due_date AND %(today)s >= due_date - warning_days
    """


RULES: dict[str, str] = {
    AlertKind.SUBLEASE_RENEWAL: _milestones(
        "tenancy_subleasecontract",
        "tenancy_amendment",
        f"NULL::bigint AS assignee_id, '{Role.REGISSEUR.value}' AS assignee_role",
        where="AND c.actual_end_date IS NULL",
    ),
    AlertKind.SUPPORT_RENEWAL: _milestones(
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
    # A debt: the balance reaches N months of residual rent (rent + charges - expected CAF),
    # or several rent calls came since the household's last payment while it owes money.
    # Two thresholds worth: overdue.
    AlertKind.DEBT: f"""
    WITH balances AS (
        SELECT e.contract_id, sum(e.debit) - sum(e.credit) AS balance
        FROM tenancy_ledgerentry e
        WHERE e.organisation_id = %(organisation)s
        GROUP BY e.contract_id
    ), owing AS (
        SELECT c.id AS subject_id, h.id AS household_id, b.balance,
               d.alert_debt_months
                 * GREATEST(c.rent + c.charges - c.expected_housing_benefit, 1) AS threshold,
               d.alert_unpaid_calls AS unpaid_calls,
               (SELECT count(*) FROM tenancy_ledgerentry call
                WHERE call.contract_id = c.id AND call.kind = 'appel'
                  AND call.date > COALESCE(
                      (SELECT max(p.date) FROM tenancy_ledgerentry p
                       WHERE p.contract_id = c.id AND p.kind IN ('paiement', 'aide')
                         AND NOT EXISTS (SELECT 1 FROM tenancy_ledgerentry r
                                         WHERE r.reverses_id = p.id)),
                      '-infinity'::date)) AS calls_since_payment,
               (SELECT max(call.date) FROM tenancy_ledgerentry call
                WHERE call.contract_id = c.id AND call.kind = 'appel') AS last_call
        FROM tenancy_subleasecontract c
        JOIN balances b ON b.contract_id = c.id
        JOIN households_household h ON h.id = c.household_id
        JOIN iml_dispositif d ON d.id = h.dispositif_id
        WHERE c.organisation_id = %(organisation)s AND c.actual_end_date IS NULL
          AND b.balance > 0
    )
    SELECT subject_id, household_id, 'dette' AS milestone,
           COALESCE(last_call, %(today)s::date) AS due_date,
           CASE WHEN balance >= 2 * threshold THEN 'overdue' ELSE 'due' END AS level,
           NULL::bigint AS assignee_id, '{Role.REGISSEUR.value}' AS assignee_role
    FROM owing
    WHERE balance >= threshold OR calls_since_payment >= unpaid_calls
    """,
    # An instalment is missed when, N days after its due date, the debts up to the due date
    # minus every credit so far still exceed the plan's target: a late payment clears it,
    # later rent calls do not raise it again.
    AlertKind.INSTALMENT: f"""
    SELECT p.id AS subject_id, h.id AS household_id, i.number::text AS milestone,
           i.due_date, 'overdue' AS level,
           NULL::bigint AS assignee_id, '{Role.REGISSEUR.value}' AS assignee_role
    FROM tenancy_instalment i
    JOIN tenancy_repaymentplan p ON p.id = i.plan_id AND p.status = 'actif'
    JOIN tenancy_subleasecontract c ON c.id = p.contract_id
    JOIN households_household h ON h.id = c.household_id
    JOIN iml_dispositif d ON d.id = h.dispositif_id
    WHERE i.organisation_id = %(organisation)s
      AND i.due_date + d.alert_instalment_grace_days < %(today)s
      AND (SELECT COALESCE(sum(e.debit) FILTER (WHERE e.date <= i.due_date), 0)
                  - COALESCE(sum(e.credit), 0)
           FROM tenancy_ledgerentry e WHERE e.contract_id = c.id)
          > p.debt - (SELECT sum(j.amount) FROM tenancy_instalment j
                      WHERE j.plan_id = p.id AND j.number <= i.number)
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
}

# Inserts the new candidates, updates the moved ones (an escalation reopens it), resolves
# the open alerts of this kind that are no longer candidates. One statement.
_SYNC = """
WITH candidates AS ({candidates}),
upserted AS (
    INSERT INTO iml_alert (public_id, organisation_id, household_id, kind, subject_id,
                           milestone, level, due_date, assignee_id, assignee_role, status,
                           created_at, updated_at)
    SELECT gen_random_uuid(), %(organisation)s, household_id, %(kind)s, subject_id, milestone,
           level, due_date, assignee_id, assignee_role, 'ouverte', now(), now()
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
    with connection.cursor() as cursor:
        for kind, candidates in RULES.items():
            cursor.execute(
                _SYNC.format(candidates=candidates),
                {"organisation": organisation.pk, "today": today, "kind": str(kind)},
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
