"""Reads of the ledger: balances at a date, in SQL, for one contract or many households."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from iml import dataversion
from iml.codes import LedgerKind, RepaymentPlanStatus
from iml.scoping import get_current_organisation_id
from tenancy.models import LedgerEntry, RepaymentPlan, SubleaseContract

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


def contract_balance(contract: SubleaseContract, at: datetime.date | None = None) -> Decimal:
    """Debits minus credits of the contract up to ``at`` included (positive: a debt)."""
    entries = LedgerEntry.objects.filter(contract=contract)
    if at is not None:
        entries = entries.filter(date__lte=at)
    return entries.balance()


def household_balance(household, at: datetime.date | None = None) -> Decimal:
    entries = LedgerEntry.objects.filter(contract__household=household)
    if at is not None:
        entries = entries.filter(date__lte=at)
    return entries.balance()


def balance_subquery(outer: str, *, ref: str = "pk", at: datetime.date | None = None) -> Coalesce:
    """A correlated subquery giving the balance of the row's contract(s): ``outer`` is the
    path from a ledger entry to the outer row (``"contract"`` for contracts,
    ``"contract__household"`` for households) and ``ref`` the outer row's field it equals.
    Annotating a page of rows with it is one query
    for the page, whatever its length."""
    entries = LedgerEntry.objects.filter(**{outer: OuterRef(ref)})
    if at is not None:
        entries = entries.filter(date__lte=at)
    sums = (
        entries.order_by()
        .values(outer)
        .annotate(b=Coalesce(Sum("debit"), ZERO) - Coalesce(Sum("credit"), ZERO))
        .values("b")
    )
    return Coalesce(Subquery(sums, output_field=DecimalField()), ZERO)


def with_balances(households: QuerySet, at: datetime.date | None = None) -> QuerySet:
    return households.annotate(balance=balance_subquery("contract__household", at=at))


def debt_totals() -> dict:
    """Households owing money and the total owed: one grouped query over the whole ledger,
    cached until the organisation's next write (``iml.dataversion``)."""
    return dataversion.cached(get_current_organisation_id(), "debt-totals", _debt_totals)


def _debt_totals() -> dict:
    owing = (
        LedgerEntry.objects.order_by()
        .values("contract__household")
        .annotate(b=Sum("debit") - Sum("credit"))
        .filter(b__gt=0)
    )
    totals = owing.aggregate(households=Count("contract__household"), owed=Sum("b"))
    return {"households": totals["households"] or 0, "owed": totals["owed"] or Decimal("0")}


def dashboard_cards(*, membership) -> list:
    """Money figures of the dashboard (a provider of ``iml.selectors.DASHBOARD_PROVIDERS``)."""
    from iml.permissions import MONEY_RECORDERS, MONEY_VIEWERS
    from iml.selectors import Card

    if membership.role not in MONEY_VIEWERS:
        return []
    debts = debt_totals()
    cards = [
        Card("Ménages en dette", debts["households"], "tenancy:contract_list"),
        Card("Impayés (€)", int(debts["owed"]), "tenancy:contract_list"),
        Card(
            "Plans d’apurement actifs",
            RepaymentPlan.objects.filter(status=RepaymentPlanStatus.ACTIF).count(),
            "tenancy:plan_list",
        ),
    ]
    if membership.role in MONEY_RECORDERS:
        today = LedgerEntry.objects.filter(
            date=timezone.localdate(), kind=LedgerKind.PAIEMENT
        ).aggregate(total=Sum("credit"))["total"]
        cards.append(Card("Encaissé aujourd’hui (€)", int(today or 0), "tenancy:cash_journal"))
    return cards
