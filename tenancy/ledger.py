"""The rent ledger: rent calls, payments, CAF, aids, charges and reversals.

Every write appends entries (the database refuses updates and deletes); balances are sums in
SQL (see ``tenancy.selectors``). Amounts are ``Decimal`` euros, validated here with French
messages before the database's own checks.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from iml.codes import LedgerKind, PaymentMethod
from iml.models import User
from tenancy.models import LedgerEntry, ReceiptCounter, SubleaseContract

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999.99")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return month_start(month) + relativedelta(months=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def prorate(amount: Decimal, days: int, month_days: int) -> Decimal:
    """A monthly amount for ``days`` of a month of ``month_days`` days, to the cent (the same
    rounding as PostgreSQL's ``round(numeric, 2)``: half away from zero)."""
    return (amount * days / month_days).quantize(CENT, rounding=ROUND_HALF_UP)


def days_covered(contract: SubleaseContract, month: datetime.date) -> int:
    """Days of ``month`` within the contract (its end date is the first day out)."""
    end = min(contract.actual_end_date or next_month(month), next_month(month))
    return max(0, (end - max(contract.start_date, month)).days)


def parse_amount(value) -> Decimal:
    """A positive amount in euros with at most two decimals ("125,50", "1 250.00"), or a
    French error."""
    invalid = "Montant invalide : saisissez par exemple 125,50."
    text = str(value).strip().replace(",", ".")
    for space in (" ", "\u202f", "\u00a0"):
        text = text.replace(space, "")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(invalid) from None
    if not amount.is_finite():
        raise ValidationError(invalid)
    if amount <= 0:
        raise ValidationError("Le montant doit être positif.")
    if amount > MAX_AMOUNT:
        raise ValidationError("Montant trop élevé (99 999,99 € au plus).")
    if amount != amount.quantize(CENT):
        raise ValidationError("Un montant a au plus deux décimales (les centimes).")
    return amount.quantize(CENT)


def clean_amount(value, field: str = "amount") -> Decimal:
    """``parse_amount``, its error attached to ``field``."""
    try:
        return parse_amount(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


# --- Rent calls -----------------------------------------------------------------------------

# One statement for all the contracts and months: a contract is called for every month it
# overlaps, prorated by days for a partial first or last month. The partial unique index makes
# a second run, or a concurrent one, insert nothing.
_CALLS_SQL = """
WITH months AS (
    SELECT m::date AS m0, (m + interval '1 month')::date AS m1
    FROM unnest(%(months)s::date[]) AS m
), spans AS (
    SELECT c.id, c.organisation_id, c.rent, c.charges, months.m0,
           GREATEST(c.start_date, months.m0) AS first_day,
           LEAST(COALESCE(c.actual_end_date, months.m1), months.m1)
               - GREATEST(c.start_date, months.m0) AS days,
           months.m1 - months.m0 AS month_days
    FROM tenancy_subleasecontract AS c
    JOIN months ON c.start_date < months.m1
               AND (c.actual_end_date IS NULL OR c.actual_end_date > months.m0)
    WHERE c.organisation_id = %(organisation)s {contracts}
), parts AS (
    SELECT *, round(rent * days / month_days, 2) AS rent_part,
              round(charges * days / month_days, 2) AS charges_part
    FROM spans WHERE days > 0
)
INSERT INTO tenancy_ledgerentry (
    public_id, organisation_id, contract_id, date, kind, debit, credit, period, rent_part,
    charges_part, method, number, reference, note, reverses_id, created_by_id, created_at, ref
)
SELECT gen_random_uuid(), organisation_id, id, first_day, 'appel', rent_part + charges_part, 0,
       m0, rent_part, charges_part, '', '', '', '', NULL, NULL, now(), ''
FROM parts
WHERE rent_part + charges_part > 0
ON CONFLICT (organisation_id, contract_id, period) WHERE kind = 'appel' DO NOTHING
"""


def issue_rent_calls(
    *,
    organisation_id: int,
    months: list[datetime.date],
    contracts: list[int] | None = None,
) -> int:
    """Issue the missing rent calls of ``months`` (first days) for the organisation's
    contracts (or only ``contracts``); returns how many were issued."""
    sql = _CALLS_SQL.format(contracts="AND c.id = ANY(%(contracts)s)" if contracts else "")
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "months": [month_start(m) for m in months],
                "organisation": organisation_id,
                "contracts": contracts,
            },
        )
        return cursor.rowcount


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


def credit_unused_days(*, contract: SubleaseContract, by: User | None) -> LedgerEntry | None:
    """After the contract ended: rent already called for days after its end is credited back
    (one `regularisation` entry), so that the household owes the prorated month only."""
    if contract.actual_end_date is None:
        return None
    first = month_start(contract.actual_end_date)
    calls = list(
        LedgerEntry.objects.filter(contract=contract, kind=LedgerKind.APPEL, period__gte=first)
    )
    owed = sum(
        (
            prorate(contract.rent, days_covered(contract, call.period), _month_days(call.period))
            + prorate(
                contract.charges, days_covered(contract, call.period), _month_days(call.period)
            )
            for call in calls
        ),
        Decimal("0"),
    )
    excess = sum((call.debit for call in calls), Decimal("0")) - owed
    if excess <= 0:
        return None
    return _append(
        contract=contract,
        date=contract.actual_end_date,
        kind=LedgerKind.REGULARISATION,
        credit=excess,
        note=f"Départ le {contract.actual_end_date:%d/%m/%Y} : loyer appelé au-delà "
        "du départ, remboursé au prorata",
        by=by,
    )


def _month_days(month: datetime.date) -> int:
    return (next_month(month) - month).days


# --- Payments and other entries -------------------------------------------------------------


def _append(*, contract: SubleaseContract, by: User | None, **fields) -> LedgerEntry:
    entry = LedgerEntry(
        organisation_id=contract.organisation_id, contract=contract, created_by=by, **fields
    )
    # Fields only: the services check the rules first and PostgreSQL enforces the constraints;
    # Django's per-constraint queries would multiply a batch's round trips.
    entry.full_clean(validate_constraints=False)
    entry.save()
    return entry


def next_receipt_number(organisation_id: int, year: int) -> str:
    """``2026-00042``: numbers follow each other within a year, without gaps between
    committed payments, and two concurrent payments never get the same one (the counter row
    is bumped by an upsert, which locks it until the payment commits)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ReceiptCounter._meta.db_table}
                (public_id, organisation_id, year, last)
            VALUES (gen_random_uuid(), %s, %s, 1)
            ON CONFLICT (organisation_id, year)
            DO UPDATE SET last = {ReceiptCounter._meta.db_table}.last + 1
            RETURNING last
            """,
            [organisation_id, year],
        )
        (last,) = cursor.fetchone()
    return f"{year}-{last:05d}"


def _check_date(contract: SubleaseContract, date: datetime.date, field: str = "date") -> None:
    if date > timezone.localdate():
        raise ValidationError({field: "La date ne peut pas être dans le futur."})
    if date < contract.start_date:
        raise ValidationError(
            {field: f"La date précède le début du contrat ({contract.start_date:%d/%m/%Y})."}
        )


@transaction.atomic
def payment_record(
    *,
    contract: SubleaseContract,
    date: datetime.date,
    amount,
    method: str,
    by: User,
    reference: str = "",
) -> LedgerEntry:
    """A payment of the household, with the next receipt number."""
    amount = clean_amount(amount)
    if method not in PaymentMethod.values or method == PaymentMethod.CAF:
        raise ValidationError({"method": "Choisissez le mode de paiement du ménage."})
    _check_date(contract, date)
    entry = _append(
        contract=contract,
        date=date,
        kind=LedgerKind.PAIEMENT,
        credit=amount,
        method=method,
        number=next_receipt_number(contract.organisation_id, date.year),
        reference=reference.strip(),
        by=by,
    )
    from tenancy.plans import plans_refresh

    plans_refresh(contract=contract, today=date)
    return entry


@transaction.atomic
def aid_record(
    *,
    contract: SubleaseContract,
    date: datetime.date,
    amount,
    by: User,
    note: str,
    reference: str = "",
) -> LedgerEntry:
    """A third-party aid paid towards the household's rent (FSL, CCAS…)."""
    amount = clean_amount(amount)
    _check_date(contract, date)
    if not note.strip():
        raise ValidationError({"note": "Indiquez l’origine de l’aide (FSL, CCAS…)."})
    entry = _append(
        contract=contract,
        date=date,
        kind=LedgerKind.AIDE,
        credit=amount,
        method=PaymentMethod.VIREMENT,
        reference=reference.strip(),
        note=note.strip(),
        by=by,
    )
    from tenancy.plans import plans_refresh

    plans_refresh(contract=contract, today=date)
    return entry


@transaction.atomic
def charge_record(
    *,
    contract: SubleaseContract,
    date: datetime.date,
    kind: str,
    amount,
    by: User,
    note: str,
    credit: bool = False,
) -> LedgerEntry:
    """A charges adjustment (debit, or credit with ``credit``) or damages (debit)."""
    amount = clean_amount(amount)
    _check_date(contract, date)
    if kind not in (LedgerKind.REGULARISATION, LedgerKind.DEGRADATION):
        raise ValidationError({"kind": "Nature d’écriture non prévue ici."})
    if credit and kind == LedgerKind.DEGRADATION:
        raise ValidationError({"kind": "Des dégradations sont toujours un débit."})
    if not note.strip():
        raise ValidationError({"note": "Le motif est obligatoire."})
    sides = {"credit": amount} if credit else {"debit": amount}
    return _append(contract=contract, date=date, kind=kind, note=note.strip(), by=by, **sides)


@transaction.atomic
def entry_reverse(*, entry: LedgerEntry, date: datetime.date, reason: str, by: User) -> LedgerEntry:
    """Cancel an entry by appending its opposite (the entry itself stays, as the law and the
    auditors require). An entry is reversed at most once; a reversal is not reversed."""
    entry = LedgerEntry.objects.select_for_update().select_related("contract").get(pk=entry.pk)
    if entry.kind == LedgerKind.ANNULATION:
        raise ValidationError("Une annulation ne s’annule pas : saisissez une nouvelle écriture.")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError("Cette écriture est déjà annulée.")
    if not reason.strip():
        raise ValidationError({"reason": "Le motif de l’annulation est obligatoire."})
    if date < entry.date:
        raise ValidationError({"date": "L’annulation ne peut précéder l’écriture annulée."})
    if date > timezone.localdate():
        raise ValidationError({"date": "La date ne peut pas être dans le futur."})
    reversal = _append(
        contract=entry.contract,
        date=date,
        kind=LedgerKind.ANNULATION,
        debit=entry.credit,
        credit=entry.debit,
        period=entry.period,
        reverses=entry,
        note=reason.strip(),
        by=by,
    )
    from tenancy.plans import plans_refresh

    plans_refresh(contract=entry.contract, today=date)
    return reversal


# --- CAF ------------------------------------------------------------------------------------


@transaction.atomic
def caf_confirm(
    *,
    month: datetime.date,
    received: dict[SubleaseContract, Decimal],
    date: datetime.date,
    by: User,
) -> list[LedgerEntry]:
    """The CAF's monthly transfer, one `apl` entry per household received. A contract whose
    benefit for the month is already recorded (and not cancelled) is refused: the whole batch
    is then written or nothing."""
    month = month_start(month)
    if date > timezone.localdate():
        raise ValidationError({"date": "La date ne peut pas être dans le futur."})
    contracts = sorted(received, key=lambda c: c.pk)
    locked = {
        c.pk: c
        for c in SubleaseContract.objects.select_for_update().filter(
            pk__in=[c.pk for c in contracts]
        )
    }
    already = set(
        LedgerEntry.objects.filter(
            contract__in=locked.values(),
            kind=LedgerKind.APL,
            period=month,
            reversals__isnull=True,
        ).values_list("contract__reference", flat=True)
    )
    if already:
        raise ValidationError(
            "Versement CAF de ce mois déjà enregistré pour : " + ", ".join(sorted(already)) + "."
        )
    entries = []
    for contract in contracts:
        amount = clean_amount(received[contract])
        entries.append(
            _append(
                contract=locked[contract.pk],
                date=date,
                kind=LedgerKind.APL,
                credit=amount,
                method=PaymentMethod.CAF,
                period=month,
                note=f"Aide au logement de {month:%m/%Y}",
                by=by,
            )
        )
    return entries
