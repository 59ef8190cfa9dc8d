"""Documents of the tenancy, as PDF (WeasyPrint, A4, French): the sublease contract, its
amendments, rent call notices (avis d'échéance), payment receipts, quittances, account
statements and the cash journal.

Each document has a ``*_context`` function gathering its data in a bounded number of queries
(joins and SQL aggregates, never a query per entry) and a ``*_pdf`` function rendering it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.text import capfirst

from households.models import Person
from households.stays import months_of_stay
from iml import pdf
from iml.codes import LedgerKind, PersonRole
from iml.formats import of_month
from iml.models import Organisation
from tenancy.amounts import days_covered, month_days, month_start, next_month, prorate
from tenancy.models import Amendment, LedgerEntry, SubleaseContract
from tenancy.money import contract_balance, takings

ZERO = Decimal("0.00")
_ZERO_SQL = Value(ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))
DAY = datetime.timedelta(days=1)
TEMPLATES = "documents/tenancy/"

# Related rows every contract document shows (header, parties, space).
CONTRACT_RELATED = (
    "organisation",
    "household",
    "household__dispositif",
    "household__referent",
    "unit",
    "room",
)


def render_pdf(template: str, context: dict) -> bytes:
    return pdf.render_pdf(TEMPLATES + template, context)


def _sum(column: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(column, filter=condition), _ZERO_SQL)


def adult_names(contract: SubleaseContract) -> list[str]:
    """The adults of the household at the contract's start (those who sign it); all its
    adults who have not left before, if the dates of arrival say nobody was there yet."""
    adults = Person.objects.filter(household_id=contract.household_id).exclude(
        role=PersonRole.ENFANT
    )
    persons = list(adults.filter(Q(left_date__isnull=True) | Q(left_date__gt=contract.start_date)))
    present = [p for p in persons if p.joined_date is None or p.joined_date <= contract.start_date]
    chosen = present or persons
    # The household's reference person first, then by age.
    chosen.sort(key=lambda p: (p.role != PersonRole.REFERENT, p.birth_date, p.pk))
    return [f"{p.first_name} {p.last_name}" for p in chosen]


def _parties(contract: SubleaseContract) -> dict:
    return {
        "organisation": contract.organisation,
        "contract": contract,
        "household": contract.household,
        "adults": adult_names(contract),
    }


# --- Contract and amendment -----------------------------------------------------------------


def contract_context(contract: SubleaseContract) -> dict:
    """``contract`` loaded with CONTRACT_RELATED."""
    return {
        **_parties(contract),
        "unit": contract.unit,
        "room": contract.room,
        "payment_day": 5,
    }


def contract_pdf(contract: SubleaseContract) -> bytes:
    return render_pdf("contract.html", contract_context(contract))


def amendment_context(amendment: Amendment) -> dict:
    """``amendment`` loaded with ``contract__`` + CONTRACT_RELATED."""
    contract = amendment.contract
    previous = (
        Amendment.objects.filter(contract=contract, number__lt=amendment.number)
        .order_by("-number")
        .values_list("new_end_date", flat=True)
        .first()
    )
    entry = contract.household.entry_date or contract.start_date
    stay = months_of_stay(entry, amendment.new_end_date)
    return {
        **_parties(contract),
        "amendment": amendment,
        "previous_end": previous or contract.initial_end_date,
        "stay_months": stay,
        "entry_date": entry,
    }


def amendment_pdf(amendment: Amendment) -> bytes:
    return render_pdf("amendment.html", amendment_context(amendment))


# --- Rent call notice -----------------------------------------------------------------------


def expected_benefit(contract: SubleaseContract, month: datetime.date) -> Decimal:
    """The housing benefit expected for the month, prorated like the rent for a partial
    month."""
    days = days_covered(contract, month_start(month))
    return prorate(contract.expected_housing_benefit, days, month_days(month))


def rent_call_context(call: LedgerEntry) -> dict:
    """``call``: an ``appel`` entry loaded with ``contract__`` + CONTRACT_RELATED."""
    contract = call.contract
    caf = min(expected_benefit(contract, call.period), call.debit)
    residual = call.debit - caf
    previous = contract_balance(contract, at=call.date - DAY)
    return {
        **_parties(contract),
        "call": call,
        "days": days_covered(contract, call.period),
        "month_days": month_days(call.period),
        "caf": caf,
        "residual": residual,
        "previous_balance": previous,
        "total_due": max(ZERO, previous + residual),
        "credit_after": max(ZERO, -(previous + residual)),
        "due_date": max(call.period.replace(day=5), call.date),
    }


def rent_call_pdf(call: LedgerEntry) -> bytes:
    return render_pdf("rent_call.html", rent_call_context(call))


# --- Payment receipt ------------------------------------------------------------------------


def receipt_context(payment: LedgerEntry) -> dict:
    """``payment``: a ``paiement`` entry loaded with ``created_by`` and
    ``contract__`` + CONTRACT_RELATED."""
    contract = payment.contract
    # Entries are ordered by (date, pk): the balance right after this one.
    after = LedgerEntry.objects.filter(contract=contract).filter(
        Q(date__lt=payment.date) | Q(date=payment.date, pk__lte=payment.pk)
    )
    return {
        **_parties(contract),
        "payment": payment,
        "reversal": payment.reversals.first(),
        "balance_after": after.balance(),
    }


def receipt_pdf(payment: LedgerEntry) -> bytes:
    return render_pdf("receipt.html", receipt_context(payment))


# --- Quittance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSettlement:
    """Whether a month's rent is paid, payments being imputed to the oldest debt first
    (Code civil, art. 1342-10): the month is paid when everything the household received up
    to today covers everything it owed up to the end of that month.

    ``called``: the month's rent call; ``debts``: the debits dated up to the month's end;
    ``credits``: the credits up to today (both net of their reversals)."""

    called: Decimal
    debts: Decimal
    credits: Decimal

    @property
    def fully_paid(self) -> bool:
        return self.debts <= self.credits

    @property
    def remaining(self) -> Decimal:
        """What is still owed on this month's call (older debts are settled first)."""
        return min(self.called, max(ZERO, self.debts - self.credits))

    @property
    def paid(self) -> Decimal:
        return self.called - self.remaining


def settlement_sums(
    contract: SubleaseContract, month: datetime.date, today: datetime.date
) -> dict[str, Decimal]:
    """One query: the debts up to the end of ``month``, the credits up to ``today`` and the
    CAF benefit paid for ``month``.

    A reversal (``annulation``) cancels what it reverses: a reversed payment is no longer
    received (its reversal's debit is taken off the credits, whenever it was dated), a
    reversed debit no longer owed (its reversal's credit is taken off the debts when the
    reversed debit falls in the window)."""
    end = next_month(month) - DAY
    reversal = Q(kind=LedgerKind.ANNULATION)
    known = Q(date__lte=today)
    return LedgerEntry.objects.filter(contract=contract).aggregate(
        debts=_sum("debit", ~reversal & Q(date__lte=end))
        - _sum("credit", reversal & known & Q(reverses__date__lte=end)),
        credits=_sum("credit", ~reversal & known) - _sum("debit", reversal & known),
        caf=_sum(
            "credit",
            Q(kind=LedgerKind.APL, period=month_start(month), reversals__isnull=True) & known,
        ),
    )


def month_settlement(
    contract: SubleaseContract, call: LedgerEntry, today: datetime.date
) -> tuple[MonthSettlement, Decimal]:
    """The settlement of ``call``'s month, and the CAF benefit paid for that month."""
    sums = settlement_sums(contract, call.period, today)
    settlement = MonthSettlement(called=call.debit, debts=sums["debts"], credits=sums["credits"])
    return settlement, sums["caf"]


def month_call(contract: SubleaseContract, month: datetime.date) -> LedgerEntry | None:
    """The month's rent call, unless it was cancelled."""
    return (
        LedgerEntry.objects.filter(
            contract=contract, kind=LedgerKind.APPEL, period=month_start(month)
        )
        .filter(reversals__isnull=True)
        .first()
    )


def quittance_context(contract: SubleaseContract, call: LedgerEntry, today: datetime.date) -> dict:
    """``contract`` loaded with CONTRACT_RELATED; ``call`` its rent call of the month."""
    settlement, caf = month_settlement(contract, call, today)
    return {
        **_parties(contract),
        "call": call,
        "of_month": of_month(call.period),
        "settlement": settlement,
        "caf": caf,
        "residual": call.debit - caf,
        "today": today,
    }


def quittance_pdf(
    contract: SubleaseContract, call: LedgerEntry, today: datetime.date
) -> tuple[bytes, MonthSettlement]:
    """The quittance (or the partial receipt) of ``call``'s month, and its settlement."""
    context = quittance_context(contract, call, today)
    return render_pdf("quittance.html", context), context["settlement"]


# --- Account statement ----------------------------------------------------------------------


@dataclass
class StatementLine:
    entry: LedgerEntry
    balance: Decimal


def entry_label(entry: LedgerEntry) -> str:
    """The nature of an entry as the household reads it on a statement."""
    if entry.kind == LedgerKind.PAIEMENT:
        return f"Paiement ({entry.get_method_display()}), reçu n° {entry.number}"
    if entry.kind == LedgerKind.APPEL:
        return "Appel de loyer et charges"
    if entry.kind == LedgerKind.ANNULATION and entry.reverses is not None:
        target = entry.reverses
        number = f" n° {target.number}" if target.number else ""
        return f"Annulation : {target.get_kind_display()}{number} du {target.date:%d/%m/%Y}"
    return capfirst(entry.get_kind_display())


def statement_context(contract: SubleaseContract, start: datetime.date, end: datetime.date) -> dict:
    """``contract`` loaded with CONTRACT_RELATED: its entries from ``start`` to ``end``
    included with a running balance, between the opening and closing balances."""
    opening = contract_balance(contract, at=start - DAY)
    entries = (
        LedgerEntry.objects.filter(contract=contract, date__gte=start, date__lte=end)
        .select_related("reverses")
        .prefetch_related("reversals")
        .order_by("date", "pk")
    )
    lines, balance = [], opening
    total_debit = total_credit = ZERO
    for entry in entries:
        balance += entry.debit - entry.credit
        total_debit += entry.debit
        total_credit += entry.credit
        entry.label = entry_label(entry)
        entry.reversal = next(iter(entry.reversals.all()), None)
        lines.append(StatementLine(entry=entry, balance=balance))
    return {
        **_parties(contract),
        "start": start,
        "end": end,
        "opening_date": start - DAY,
        "opening": opening,
        "closing": balance,
        "lines": lines,
        "total_debit": total_debit,
        "total_credit": total_credit,
    }


def statement_pdf(contract: SubleaseContract, start: datetime.date, end: datetime.date) -> bytes:
    return render_pdf("statement.html", statement_context(contract, start, end))


# --- Cash journal ---------------------------------------------------------------------------


def cash_journal_context(organisation: Organisation, day: datetime.date) -> dict:
    """Payments grouped by method (in the order of the codes), with subtotals: a reversal
    counts negative under the method of the payment it cancels (``money.takings``)."""
    day_takings = takings(day)
    return {
        "organisation": organisation,
        "day": day,
        "groups": day_takings.methods,
        "total": day_takings.total,
        "count": day_takings.count,
    }


def cash_journal_pdf(organisation: Organisation, day: datetime.date) -> bytes:
    return render_pdf("cash_journal.html", cash_journal_context(organisation, day))
