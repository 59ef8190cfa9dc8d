"""The monthly summary of a bank account: its credit lines by state, counts and amounts, in
one aggregate query."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Aggregate, Count, Q, Sum

from banking.codes import LineStatus
from banking.models import BankAccount, BankLine
from tenancy.amounts import month_start, next_month

ZERO = Decimal("0.00")
STATES = {
    "matched": LineStatus.MATCHED,
    "proposed": LineStatus.PROPOSED,
    "suspense": LineStatus.SUSPENSE,
    "ignored": LineStatus.IGNORED,
}


@dataclass(frozen=True)
class Figure:
    count: int
    amount: Decimal


@dataclass(frozen=True)
class MonthSummary:
    account: BankAccount
    month: datetime.date
    credits: Figure  # every line into the account
    matched: Figure
    proposed: Figure
    suspense: Figure
    ignored: Figure  # set aside (no household's)
    debits: Figure  # money out, for the record (amount positive)

    @property
    def rows(self) -> list[tuple[str, Figure]]:
        return [
            ("Rapprochées", self.matched),
            ("Propositions à confirmer", self.proposed),
            ("En attente", self.suspense),
            ("Écartées", self.ignored),
        ]


def month_summary(account: BankAccount, month: datetime.date) -> MonthSummary:
    """Credit lines booked in ``month`` on ``account`` by state (and the debits)."""
    start = month_start(month)
    credit = Q(amount__gt=0)
    figures = {"credits": credit, **{name: credit & Q(status=s) for name, s in STATES.items()}}
    aggregates: dict[str, Aggregate] = {}
    for name, condition in figures.items():
        aggregates[f"{name}_count"] = Count("pk", filter=condition)
        aggregates[f"{name}_amount"] = Sum("amount", filter=condition)
    aggregates["debits_count"] = Count("pk", filter=Q(amount__lt=0))
    aggregates["debits_amount"] = Sum("amount", filter=Q(amount__lt=0))
    row = BankLine.objects.filter(
        account=account, booked_on__gte=start, booked_on__lt=next_month(start)
    ).aggregate(**aggregates)
    values = {
        name: Figure(row[f"{name}_count"], row[f"{name}_amount"] or ZERO)
        for name in [*figures, "debits"]
    }
    values["debits"] = Figure(values["debits"].count, -values["debits"].amount)
    return MonthSummary(account=account, month=start, **values)
