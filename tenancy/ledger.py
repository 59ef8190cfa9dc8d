"""The rent ledger: payments, CAF, aids, charges and reversals (rent calls: ``tenancy.calls``).

Every write appends entries (the database refuses updates and deletes); balances are sums in
SQL (see ``tenancy.money``). Amounts are ``Decimal`` euros, validated here with French
messages before the database's own checks. After each write the contract's repayment plans
follow the ledger (``tenancy.plans.plans_follow``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from iml.codes import LedgerKind, PaymentMethod
from iml.formats import euros
from iml.models import User
from tenancy.amounts import (  # noqa: F401 (re-exported: the ledger's arithmetic)
    CENT,
    MAX_AMOUNT,
    clean_amount,
    days_covered,
    month_days,
    month_start,
    months_between,
    next_month,
    parse_amount,
    prorate,
)
from tenancy.models import LedgerEntry, ReceiptCounter, SubleaseContract
from tenancy.money import contract_balance
from tenancy.plans import plans_follow

# --- Payments and other entries -------------------------------------------------------------


def append_entry(*, contract: SubleaseContract, by: User | None, **fields) -> LedgerEntry:
    """One entry, its fields checked (the callers check the rules)."""
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


def check_not_cancelled(contract: SubleaseContract) -> None:
    if contract.cancelled_at is not None:
        raise ValidationError(
            f"Le contrat {contract.reference} est annulé (entrée saisie par erreur) : aucune "
            "écriture ne peut y être enregistrée."
        )


def _check_date(contract: SubleaseContract, date: datetime.date, field: str = "date") -> None:
    check_not_cancelled(contract)
    if date > timezone.localdate():
        raise ValidationError({field: "La date ne peut pas être dans le futur."})
    if date < contract.start_date:
        raise ValidationError(
            {field: f"La date précède le début du contrat ({contract.start_date:%d/%m/%Y})."}
        )


NEEDS_CONFIRMATION = "needs_confirmation"


def check_overpayment(contract: SubleaseContract, amount: Decimal) -> None:
    """A payment on an account that owes nothing, or above what it owes, is recorded only
    once the régisseur confirms it (the excess stays to the household's credit)."""
    owed = contract_balance(contract)
    if owed <= 0:
        raise ValidationError(
            "Le compte de ce contrat n’est pas débiteur (solde : %(owed)s) : ce paiement "
            "restera au crédit du ménage. Cochez « Je confirme ce paiement » pour "
            "l’enregistrer.",
            code=NEEDS_CONFIRMATION,
            params={"owed": euros(owed)},
        )
    if amount > owed:
        raise ValidationError(
            "Le montant dépasse ce que le ménage doit (%(owed)s) : l’excédent de "
            "%(excess)s restera à son crédit. Cochez « Je confirme ce paiement » pour "
            "l’enregistrer.",
            code=NEEDS_CONFIRMATION,
            params={"owed": euros(owed), "excess": euros(amount - owed)},
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
    confirmed: bool = False,
) -> LedgerEntry:
    """A payment of the household, with the next receipt number. Above what the contract
    owes (or when it owes nothing), only ``confirmed``."""
    amount = clean_amount(amount)
    if method not in PaymentMethod.values or method == PaymentMethod.CAF:
        raise ValidationError({"method": "Choisissez le mode de paiement du ménage."})
    _check_date(contract, date)
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    if not confirmed:
        check_overpayment(contract, amount)
    entry = append_entry(
        contract=contract,
        date=date,
        kind=LedgerKind.PAIEMENT,
        credit=amount,
        method=method,
        number=next_receipt_number(contract.organisation_id, date.year),
        reference=reference.strip(),
        by=by,
    )
    plans_follow(contract=contract, on=date)
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
    entry = append_entry(
        contract=contract,
        date=date,
        kind=LedgerKind.AIDE,
        credit=amount,
        method=PaymentMethod.VIREMENT,
        reference=reference.strip(),
        note=note.strip(),
        by=by,
    )
    plans_follow(contract=contract, on=date)
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
    entry = append_entry(contract=contract, date=date, kind=kind, note=note.strip(), by=by, **sides)
    plans_follow(contract=contract, on=date)
    return entry


CALLS_FOLLOW_CONTRACT = (
    "Un appel de loyer suit le contrat : il est recalculé quand la sortie est enregistrée ou "
    "le loyer corrigé. Pour une remise de loyer, saisissez une régularisation au crédit."
)


def can_reverse(entry: LedgerEntry) -> bool:
    """Whether the reversal screen is offered for ``entry`` (not for a reversal nor a rent
    call; a reversed entry is told apart by the caller, which knows it)."""
    return entry.kind not in (LedgerKind.ANNULATION, LedgerKind.APPEL)


@transaction.atomic
def entry_reverse(*, entry: LedgerEntry, date: datetime.date, reason: str, by: User) -> LedgerEntry:
    """Cancel an entry by appending its opposite (the entry itself stays, as the law and the
    auditors require). An entry is reversed at most once; a reversal is not reversed."""
    entry = LedgerEntry.objects.select_for_update().select_related("contract").get(pk=entry.pk)
    if entry.kind == LedgerKind.ANNULATION:
        raise ValidationError("Une annulation ne s’annule pas : saisissez une nouvelle écriture.")
    if entry.kind == LedgerKind.APPEL:
        raise ValidationError(CALLS_FOLLOW_CONTRACT)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError("Cette écriture est déjà annulée.")
    if not reason.strip():
        raise ValidationError({"reason": "Le motif de l’annulation est obligatoire."})
    if date < entry.date:
        raise ValidationError({"date": "L’annulation ne peut précéder l’écriture annulée."})
    if date > timezone.localdate():
        raise ValidationError({"date": "La date ne peut pas être dans le futur."})
    reversal = append_entry(
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
    plans_follow(contract=entry.contract, on=date)
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
        check_not_cancelled(locked[contract.pk])
        amount = clean_amount(received[contract])
        entries.append(
            append_entry(
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
    for contract in locked.values():
        plans_follow(contract=contract, on=date)
    return entries
