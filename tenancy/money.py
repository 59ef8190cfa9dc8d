"""Every money notion of the software, defined once. Each screen, document, job and report
that shows one of them calls the function here, so that two surfaces never disagree
(``tests/tenancy/test_money_surfaces.py`` checks each surface against this module, and this
module against sums computed independently).

Notions:

- **Balance** of a contract or household at a date D: its debits minus its credits dated on or
  before D (positive: a debt). An ``annulation`` counts on its own date, as recorded
  (``balance``); the *corrected* balance at D leaves out every reversed entry and its reversal,
  whatever their dates: what D's balance turns out to have been (``corrected_balance``, used to
  judge repayment plans after a reversal).
- **Net amount of a kind** over a period (called, paid by the household, by the CAF, by aids):
  the entries of that kind dated in the period, less the ``annulation`` entries dated in the
  period that reverse one (``net_amount``, ``rent_totals``); for one month's rent calls or CAF
  benefit, by the month they are for (``for_month``).
- **Collected on a day**, by method: payments of the day less reversals of payments recorded
  that day (``takings``), the cash journal's figure.
- **Owing**: a balance above zero (``debt_totals``; the annual report's "in debt at end").
- **In debt** (``in_debt_contracts``): a running contract whose balance reaches the
  dispositif's number of months of residual rent, or that has had the dispositif's number of
  rent calls since the household last paid while it owes money. Alerts, the dashboard, the
  contract list and "my households" use this one rule, with the thresholds heads tune.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from iml import dataversion
from iml.codes import LedgerKind, PaymentMethod
from iml.models import Role
from iml.scoping import get_current_organisation_id
from tenancy.amounts import month_start
from tenancy.models import LedgerEntry, LedgerEntryQuerySet, SubleaseContract

if TYPE_CHECKING:
    from django.db.models.expressions import CombinedExpression
    from django_stubs_ext import WithAnnotations

    from households.models import Household

MONEY = DecimalField(max_digits=12, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
# Debit minus credit of an entry: what it adds to a balance.
SIGNED = ExpressionWrapper(F("debit") - F("credit"), output_field=MONEY)
# What a household pays itself (a CAF transfer is not a payment of the household).
HOUSEHOLD_CREDITS = (LedgerKind.PAIEMENT, LedgerKind.AIDE)


# --- Balances -------------------------------------------------------------------------------


def _dated(
    entries: LedgerEntryQuerySet, at: datetime.date | OuterRef | None
) -> LedgerEntryQuerySet:
    return entries if at is None else entries.filter(date__lte=at)


def balance(entries: LedgerEntryQuerySet, at: datetime.date | None = None) -> Decimal:
    """Debits minus credits of ``entries`` dated on or before ``at`` (all without ``at``)."""
    return _dated(entries, at).balance()


def corrected_balance(entries: LedgerEntryQuerySet, at: datetime.date | None = None) -> Decimal:
    """The balance at ``at`` without the entries reversed since and their reversals."""
    return _dated(entries.live(), at).balance()


def contract_balance(contract: SubleaseContract, at: datetime.date | None = None) -> Decimal:
    return balance(LedgerEntry.objects.filter(contract=contract), at)


def household_balance(household: Household, at: datetime.date | None = None) -> Decimal:
    return balance(LedgerEntry.objects.filter(contract__household=household), at)


def rent_entries(entries: LedgerEntryQuerySet) -> LedgerEntryQuerySet:
    """Without damages and their reversals: the rent debt of the annual report's
    sinistralité (credits reduce rent debt first)."""
    return entries.exclude(kind=LedgerKind.DEGRADATION).exclude(
        kind=LedgerKind.ANNULATION, reverses__kind=LedgerKind.DEGRADATION
    )


def balance_subquery(
    outer: str,
    *,
    ref: str = "pk",
    at: datetime.date | OuterRef | None = None,
    rent_only: bool = False,
    live: bool = False,
) -> Coalesce:
    """The balance of the outer row's contract(s) as a correlated subquery: ``outer`` is the
    path from an entry to the outer row (``"contract"`` for contracts,
    ``"contract__household"`` for households), ``ref`` the outer row's field it equals, ``at``
    a date or an ``OuterRef`` to one. Annotating a page of rows is one query for the page."""
    entries: LedgerEntryQuerySet = LedgerEntry.objects.filter(**{outer: OuterRef(ref)})
    if rent_only:
        entries = rent_entries(entries)
    if live:
        entries = entries.live()
    sums = _dated(entries, at).order_by().values(outer).annotate(b=Sum(SIGNED)).values("b")
    return Coalesce(Subquery(sums, output_field=MONEY), ZERO, output_field=MONEY)


def with_balances(
    households: QuerySet[Household], at: datetime.date | None = None
) -> QuerySet[Household]:
    return households.annotate(balance=balance_subquery("contract__household", at=at))


# --- Net amounts of a kind ------------------------------------------------------------------


def net_amount(kind: str) -> ExpressionWrapper[CombinedExpression]:
    """For an aggregate over ledger entries: the amount of ``kind`` entries less the
    ``annulation`` entries that reverse one (each counted on its own date)."""
    amount = F("debit") + F("credit")
    plain = Sum(amount, filter=Q(kind=kind), output_field=MONEY)
    reversed_ = Sum(
        amount, filter=Q(kind=LedgerKind.ANNULATION, reverses__kind=kind), output_field=MONEY
    )
    return ExpressionWrapper(Coalesce(plain, ZERO) - Coalesce(reversed_, ZERO), output_field=MONEY)


def of_kind(kind: str) -> Q:
    """The entries ``net_amount(kind)`` adds up: ``kind`` entries and their reversals."""
    return Q(kind=kind) | Q(kind=LedgerKind.ANNULATION, reverses__kind=kind)


def for_month(kind: str, month: datetime.date) -> Q:
    """Entries of ``kind`` for ``month`` (rent calls, CAF benefit) and their reversals: their
    ``SIGNED`` sum (or its opposite, for credits) is the live amount for the month."""
    month = month_start(month)
    return Q(kind=kind, period=month) | Q(
        kind=LedgerKind.ANNULATION, reverses__kind=kind, reverses__period=month
    )


@dataclass(frozen=True)
class RentTotals:
    called: Decimal
    paid_by_household: Decimal
    paid_by_caf: Decimal
    paid_by_aids: Decimal

    @property
    def collected(self) -> Decimal:
        return self.paid_by_household + self.paid_by_caf + self.paid_by_aids


RENT_FIGURES = {
    "called": LedgerKind.APPEL,
    "paid_by_household": LedgerKind.PAIEMENT,
    "paid_by_caf": LedgerKind.APL,
    "paid_by_aids": LedgerKind.AIDE,
}


def rent_totals(
    entries: QuerySet[LedgerEntry], start: datetime.date, end: datetime.date
) -> RentTotals:
    """Rent called and collected over ``[start, end]``, net of reversals: one query."""
    sums = entries.filter(date__range=(start, end)).aggregate(
        **{name: net_amount(kind) for name, kind in RENT_FIGURES.items()}
    )
    return RentTotals(**sums)


# --- Collected on a day ---------------------------------------------------------------------


class TakingsLine(TypedDict):
    """What ``takings`` sets on each entry it lists (the cash journal's columns)."""

    signed_amount: Decimal
    receipt_number: str
    payment_method: str


@dataclass
class MethodTotal:
    method: str
    label: str
    total: Decimal = Decimal("0.00")
    entries: list[WithAnnotations[LedgerEntry, TakingsLine]] = field(default_factory=list)


@dataclass
class Takings:
    day: datetime.date
    methods: list[MethodTotal]

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.methods), Decimal("0.00"))

    @property
    def count(self) -> int:
        return sum(len(m.entries) for m in self.methods)

    @property
    def entries(self) -> list[WithAnnotations[LedgerEntry, TakingsLine]]:
        """Every line, in the order they were recorded."""
        lines = [entry for m in self.methods for entry in m.entries]
        return sorted(lines, key=lambda entry: (entry.created_at, entry.pk))


def takings_entries(day: datetime.date) -> QuerySet[LedgerEntry]:
    """Payments of ``day`` and reversals of payments recorded that day (whatever the date
    of the payment reversed), in the order they were recorded."""
    return (
        LedgerEntry.objects.filter(date=day)
        .filter(of_kind(LedgerKind.PAIEMENT))
        .select_related("contract", "contract__household", "reverses", "created_by")
        .order_by("created_at", "pk")
    )


def takings(day: datetime.date, *, with_entries: bool = True) -> Takings:
    """What the household payments brought in on ``day``, by method (in the order of the
    codes): a reversal counts negative under the method of the payment it cancels. Without
    ``with_entries``, one aggregate query and no lines (the dashboard's card)."""
    methods = {
        value: MethodTotal(method=value, label=label) for value, label in PaymentMethod.choices
    }
    if with_entries:
        for entry in takings_entries(day):
            payment = entry.reverses if entry.kind == LedgerKind.ANNULATION else entry
            # An annulation always reverses an entry (ledgerentry_reversal_has_target).
            payment = cast(LedgerEntry, payment)
            line = cast("WithAnnotations[LedgerEntry, TakingsLine]", entry)
            line.signed_amount = entry.credit - entry.debit
            line.receipt_number = payment.number
            line.payment_method = payment.method
            methods[payment.method].entries.append(line)
            methods[payment.method].total += line.signed_amount
        used = [m for m in methods.values() if m.entries]
    else:
        paid_by = Case(
            When(kind=LedgerKind.ANNULATION, then=F("reverses__method")), default=F("method")
        )
        sums = (
            LedgerEntry.objects.filter(date=day)
            .filter(of_kind(LedgerKind.PAIEMENT))
            .annotate(paid_by=paid_by)
            .order_by()
            .values("paid_by")
            .annotate(total=Sum(F("credit") - F("debit"), output_field=MONEY))
        )
        seen = set()
        for row in sums:
            methods[row["paid_by"]].total = row["total"]
            seen.add(row["paid_by"])
        used = [m for m in methods.values() if m.method in seen]
    return Takings(day=day, methods=used)


# --- Owing and in debt ----------------------------------------------------------------------


class DebtTotals(TypedDict):
    households: int
    owed: Decimal


def debt_totals() -> DebtTotals:
    """Households owing money (balance above zero, departed ones included) and the total
    owed: one grouped query, cached until the organisation's next write."""
    return dataversion.cached(get_current_organisation_id(), "debt-totals", _debt_totals)


class OwingRow(TypedDict):
    contract__household: int
    b: Decimal


def owing_households() -> QuerySet[LedgerEntry, OwingRow]:
    """Households whose balance (all their contracts) is above zero, with it as ``b``: rows
    of ``contract__household`` ids."""
    return (
        LedgerEntry.objects.order_by()
        .values("contract__household")
        .annotate(b=Sum(SIGNED))
        .filter(b__gt=0)
    )


def _debt_totals() -> DebtTotals:
    totals = owing_households().aggregate(households=Count("contract__household"), owed=Sum("b"))
    return {"households": totals["households"] or 0, "owed": totals["owed"] or Decimal("0")}


class DebtAnnotations(TypedDict):
    """What ``in_debt_contracts`` annotates on each contract."""

    last_payment_or_never: datetime.date
    balance: Decimal
    debt_threshold: Decimal
    calls_since_payment: int
    last_call: datetime.date | None
    in_debt: bool
    debt_level: str


def residual_rent(contract: SubleaseContract) -> Decimal:
    """What the household pays itself each month: rent and charges less the housing benefit
    the CAF pays the operator, never below zero (the direct debit's amount, the matching's
    usual payment)."""
    residual: Decimal = contract.rent + contract.charges - contract.expected_housing_benefit
    return max(Decimal(0), residual)


def in_debt_contracts(
    today: datetime.date | None = None,
) -> QuerySet[WithAnnotations[SubleaseContract, DebtAnnotations]]:
    """The "in debt" rule. Contracts running at ``today``, annotated with:

    ``balance`` (at ``today``); ``debt_threshold``: the dispositif's ``alert_debt_months``
    times the residual rent (rent + charges - expected housing benefit, at least 1 €);
    ``calls_since_payment``: live rent calls dated after the household's last payment or aid
    that stands (a CAF transfer is not the household paying); ``last_call`` (date);
    ``in_debt``: a balance above zero that reaches the threshold, or with the dispositif's
    ``alert_unpaid_calls`` calls since the last payment; ``debt_level``: ``overdue`` at twice
    the threshold, else ``due``.
    """
    today = today or timezone.localdate()
    own = LedgerEntry.objects.filter(contract=OuterRef("pk"), date__lte=today)
    last_payment = (
        own.live()
        .filter(kind__in=HOUSEHOLD_CREDITS)
        .order_by()
        .values("contract")
        .annotate(last=Max("date"))
        .values("last")
    )
    calls = own.live_calls()
    calls_since = (
        calls.filter(date__gt=OuterRef("last_payment_or_never"))
        .order_by()
        .values("contract")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_call = calls.order_by().values("contract").annotate(last=Max("date")).values("last")
    residual = Greatest(
        F("rent") + F("charges") - F("expected_housing_benefit"), Value(Decimal("1.00"))
    )
    contracts = (
        SubleaseContract.objects.covering(today)
        .annotate(
            last_payment_or_never=Coalesce(
                Subquery(last_payment), Value(datetime.date.min), output_field=DateField()
            )
        )
        .annotate(
            balance=balance_subquery("contract", at=today),
            debt_threshold=ExpressionWrapper(
                F("household__dispositif__alert_debt_months") * residual, output_field=MONEY
            ),
            calls_since_payment=Coalesce(
                Subquery(calls_since, output_field=IntegerField()), Value(0)
            ),
            last_call=Subquery(last_call),
        )
        .annotate(
            in_debt=Case(
                When(
                    Q(balance__gt=0)
                    & (
                        Q(balance__gte=F("debt_threshold"))
                        | Q(calls_since_payment__gte=F("household__dispositif__alert_unpaid_calls"))
                    ),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            debt_level=Case(
                When(balance__gte=2 * F("debt_threshold"), then=Value("overdue")),
                default=Value("due"),
            ),
        )
    )
    # The annotations above, which the ORM's types do not follow.
    return cast("QuerySet[WithAnnotations[SubleaseContract, DebtAnnotations]]", contracts)


class HouseholdRow(TypedDict):
    household_id: int


def households_in_debt(
    today: datetime.date | None = None,
) -> QuerySet[SubleaseContract, HouseholdRow]:
    """Ids of the households with a contract in debt (``in_debt_contracts``)."""
    return (
        in_debt_contracts(today).filter(in_debt=True).values("household_id").order_by().distinct()
    )


def debt_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    """The debt alerts' candidates (``alerts.job``): one per contract in debt, due at its last
    call, assigned to the régisseurs."""
    return [
        {
            "subject_id": contract.pk,
            "household_id": contract.household_id,
            "milestone": "dette",
            "due_date": contract.last_call or today,
            "level": contract.debt_level,
            "assignee_id": None,
            "assignee_role": Role.REGISSEUR.value,
        }
        for contract in in_debt_contracts(today)
        .filter(in_debt=True)
        .only("pk", "household_id")
        .order_by("pk")
    ]
