"""Reads of the ledger: balances at a date, in SQL, for one contract or many households."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tenancy.models import LedgerEntry, SubleaseContract

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


def balance_subquery(outer: str, *, at: datetime.date | None = None) -> Coalesce:
    """A correlated subquery giving the balance of the row's contract(s): ``outer`` is the
    path from a ledger entry to the outer row (``"contract"`` for contracts,
    ``"contract__household"`` for households). Annotating a page of rows with it is one query
    for the page, whatever its length."""
    entries = LedgerEntry.objects.filter(**{outer: OuterRef("pk")})
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
