"""Rent calls: what a contract owes month by month, issued once, and kept equal to the days the
contract covers.

One rule, one place: a contract owes, for each month, its rent and its charges prorated by
the days it covers that month (from its start to the day before its actual end), each rounded
to the cent half away from zero. ``_PARTS`` states it in SQL, used both by the monthly job
(every contract at once) and by the resynchronisation of one contract.

The ledger is append-only: when a contract ends after some of its months were called (an exit
recorded late, a retroactive admission then exit) or its terms are corrected, ``calls_resync``
reverses each call that no longer matches by an ``annulation`` and issues the right call again,
*replacing* the reversed one (``LedgerEntry.replaces``); months entirely after the end are
reversed. Both entries take the value date of the call they correct, so that every period's
"called" is the rent of the days the contract covered in it; their ``created_at`` and author
say when and by whom the correction was made. See ``docs/ledger.md``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from iml.codes import LedgerKind
from iml.models import User
from tenancy.amounts import month_start, months_between, next_month
from tenancy.ledger import append_entry
from tenancy.models import LedgerEntry, SubleaseContract

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The parts of each (contract, month) the contract covers at least one day of. Contracts are
# locked (FOR KEY SHARE, in id order) so that a call is never issued from a contract row that
# a concurrent exit is ending: the job waits for the exit to commit, then reads the ended row.
_PARTS = """
WITH months AS (
    SELECT m::date AS m0, (m + interval '1 month')::date AS m1
    FROM unnest(%(months)s::date[]) AS m
), contracts AS (
    SELECT c.id, c.organisation_id, c.start_date, c.actual_end_date, c.rent, c.charges
    FROM tenancy_subleasecontract AS c
    WHERE c.organisation_id = %(organisation)s {contracts}
      AND c.start_date < %(last)s
      AND (c.actual_end_date IS NULL OR c.actual_end_date > %(first)s)
    ORDER BY c.id
    FOR KEY SHARE
), spans AS (
    SELECT c.id, c.organisation_id, c.rent, c.charges, months.m0,
           GREATEST(c.start_date, months.m0) AS first_day,
           LEAST(COALESCE(c.actual_end_date, months.m1), months.m1)
               - GREATEST(c.start_date, months.m0) AS days,
           months.m1 - months.m0 AS month_days
    FROM contracts AS c
    JOIN months ON c.start_date < months.m1
               AND (c.actual_end_date IS NULL OR c.actual_end_date > months.m0)
), parts AS (
    SELECT id, organisation_id, m0, first_day,
           round(rent * days / month_days, 2) AS rent_part,
           round(charges * days / month_days, 2) AS charges_part
    FROM spans WHERE days > 0
)
"""

# The monthly job: the first call of each month not yet called. The partial unique index on
# first calls makes a second run, or a concurrent one, insert nothing.
_ISSUE_SQL = (
    _PARTS
    + """
INSERT INTO tenancy_ledgerentry (
    public_id, organisation_id, contract_id, date, kind, debit, credit, period, rent_part,
    charges_part, method, number, reference, note, reverses_id, replaces_id, created_by_id,
    created_at, ref
)
SELECT gen_random_uuid(), organisation_id, id, first_day, 'appel', rent_part + charges_part, 0,
       m0, rent_part, charges_part, '', '', '', '', NULL, NULL, NULL, now(), ''
FROM parts
WHERE rent_part + charges_part > 0
ON CONFLICT (organisation_id, contract_id, period) WHERE kind = 'appel' AND replaces_id IS NULL
DO NOTHING
"""
)

_EXPECTED_SQL = (
    _PARTS
    + """
SELECT m0, first_day, rent_part, charges_part FROM parts
WHERE rent_part + charges_part > 0 ORDER BY m0
"""
)


def _parameters(
    organisation_id: int, months: list[datetime.date], contracts: list[int] | None
) -> dict[str, Any]:
    months = sorted({month_start(m) for m in months})
    return {
        "months": months,
        "first": months[0] if months else datetime.date.min,
        "last": next_month(months[-1]) if months else datetime.date.min,
        "organisation": organisation_id,
        "contracts": contracts,
    }


def issue_rent_calls(
    *,
    organisation_id: int,
    months: list[datetime.date],
    contracts: list[int] | None = None,
) -> int:
    """Issue the missing rent calls of ``months`` (first days) for the organisation's
    contracts (or only ``contracts``); returns how many were issued. A month already called,
    even if that call was reversed since, is left to ``calls_resync``."""
    if not months:
        return 0
    sql = _ISSUE_SQL.format(contracts="AND c.id = ANY(%(contracts)s)" if contracts else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, _parameters(organisation_id, months, contracts))
        issued: int = cursor.rowcount
        return issued


def issue_calls_to_date(contract: SubleaseContract, today: datetime.date | None = None) -> int:
    """A contract entered after the 1st (or retroactively) gets its calls up to this month."""
    today = today or timezone.localdate()
    if contract.start_date > today:
        return 0
    return issue_rent_calls(
        organisation_id=contract.organisation_id,
        months=months_between(contract.start_date, today),
        contracts=[contract.pk],
    )


@dataclass(frozen=True)
class ExpectedCall:
    period: datetime.date
    date: datetime.date  # the first day of the month the contract covers
    rent_part: Decimal
    charges_part: Decimal

    @property
    def amount(self) -> Decimal:
        return self.rent_part + self.charges_part


def expected_calls(
    contract: SubleaseContract, months: list[datetime.date]
) -> dict[datetime.date, ExpectedCall]:
    """What the contract owes for each of ``months`` it covers (months it does not cover, or
    at no cost, are absent): the same statement as the monthly job's."""
    if not months:
        return {}
    sql = _EXPECTED_SQL.format(contracts="AND c.id = ANY(%(contracts)s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, _parameters(contract.organisation_id, months, [contract.pk]))
        return {
            period: ExpectedCall(period, first_day, rent_part, charges_part)
            for period, first_day, rent_part, charges_part in cursor.fetchall()
        }


@dataclass
class CallChanges:
    reversed: int = 0
    issued: int = 0

    def __bool__(self) -> bool:
        return bool(self.reversed or self.issued)


class ChainState(TypedDict):
    is_reversed: bool


def _chain_tails(
    contract: SubleaseContract,
) -> dict[datetime.date, WithAnnotations[LedgerEntry, ChainState]]:
    """The last call of each month's chain (the live one, unless it is reversed), annotated
    with ``is_reversed``."""
    calls = list(
        LedgerEntry.objects.filter(contract=contract, kind=LedgerKind.APPEL)
        .annotate(is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("period", "pk")
    )
    replaced = {call.replaces_id for call in calls if call.replaces_id}
    # A rent call has its month (ledgerentry_call_split): ``period`` is never None here.
    return {cast(datetime.date, call.period): call for call in calls if call.pk not in replaced}


def _same_parts(call: LedgerEntry, want: ExpectedCall) -> bool:
    return (call.rent_part, call.charges_part) == (want.rent_part, want.charges_part)


@transaction.atomic
def calls_resync(
    *,
    contract: SubleaseContract,
    by: User | None,
    reason: str,
    today: datetime.date | None = None,
) -> CallChanges:
    """Make every begun month's live call equal what the contract owes for it: a call that
    differs is reversed and issued again (the new call replaces the reversed one), a call of a
    month the contract no longer covers is reversed, a begun month it covers without a live
    call is called. ``reason`` is the reversals' note. Idempotent: a second run changes
    nothing. Repayment plans are re-evaluated by the caller's ledger write (see
    ``tenancy.plans.plans_follow``)."""
    today = today or timezone.localdate()
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    tails = _chain_tails(contract)
    this_month = month_start(today)
    last = max([this_month, *tails])
    first = min([month_start(contract.start_date), *tails])
    expected = expected_calls(contract, months_between(first, last))
    changes = CallChanges()
    for period in sorted(set(expected) | set(tails)):
        want = expected.get(period) if period <= this_month else None
        tail = tails.get(period)
        live = tail if tail is not None and not tail.is_reversed else None
        if live is None and want is None:
            continue
        if live is not None and want is not None and _same_parts(live, want):
            continue
        if live is not None:
            append_entry(
                contract=contract,
                date=live.date,
                kind=LedgerKind.ANNULATION,
                credit=live.debit,
                period=period,
                reverses=live,
                note=reason[:300],
                by=by,
            )
            changes.reversed += 1
        if want is not None:
            append_entry(
                contract=contract,
                date=want.date,
                kind=LedgerKind.APPEL,
                debit=want.amount,
                period=period,
                rent_part=want.rent_part,
                charges_part=want.charges_part,
                replaces=tail,
                by=by,
            )
            changes.issued += 1
    return changes


# --- Repair of ledgers written before calls followed their contract --------------------------

# The note of the credit that exits used to add instead of correcting the calls.
OLD_EXIT_CREDIT = "loyer appelé au-delà du départ"
REPAIR_REASON = "Mise en conformité : appel recalculé sur les jours couverts par le contrat"


@transaction.atomic
def ledger_repair(
    *, contract: SubleaseContract, by: User | None = None, today: datetime.date | None = None
) -> CallChanges:
    """Bring a contract's ledger to one live call per month equal to the days it covered:
    reverses the exit credits of unused days that earlier versions added beside the excess
    calls (each on its own date), then ``calls_resync``. Append-only; a second run changes
    nothing."""
    credits = LedgerEntry.objects.filter(
        contract=contract,
        kind=LedgerKind.REGULARISATION,
        credit__gt=0,
        note__contains=OLD_EXIT_CREDIT,
        reversals__isnull=True,
    )
    changes = CallChanges()
    for credit in credits.order_by("pk"):
        append_entry(
            contract=contract,
            date=credit.date,
            kind=LedgerKind.ANNULATION,
            debit=credit.credit,
            reverses=credit,
            note=REPAIR_REASON[:300],
            by=by,
        )
        changes.reversed += 1
    resynced = calls_resync(contract=contract, by=by, reason=REPAIR_REASON, today=today)
    changes.reversed += resynced.reversed
    changes.issued += resynced.issued
    return changes
