"""The entries (or households) behind each money figure of the report, and their sum, which
equals the figure: the rent called and collected are ledger entries of the period, each
reversal counted against the kind it reverses on its own date; the debt at the end is the
balances of the households in debt at the end. Built on the same definitions as the figures
(``tenancy.money``), so that the list and the figure cannot disagree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import ExpressionWrapper, F, Sum

from iml.codes import LedgerKind
from reporting import definitions as d
from tenancy import money

# Figures listed as ledger entries: the kind they add up (with its reversals).
ENTRY_FIGURES = {f"rent.{name}": kind for name, kind in money.RENT_FIGURES.items()}
DEBT_FIGURE = "rent.debt_at_end"
MONEY_FIGURES = frozenset({*ENTRY_FIGURES, DEBT_FIGURE})


@dataclass
class MoneyRows:
    """``rows``: ledger entries annotated with ``counted`` (what each adds to the figure), or
    households annotated with ``balance``; ``total``: their sum, the figure."""

    rows: models.QuerySet
    total: Decimal
    of_entries: bool


def money_rows(dispositif, start: datetime.date, end: datetime.date, path: str) -> MoneyRows:
    """The rows behind the money figure at ``path`` (``LookupError`` for another path)."""
    scope = d.ReportScope(dispositif, start, end)
    if path in ENTRY_FIGURES:
        kind = ENTRY_FIGURES[path]
        # A debit kind (rent calls) adds its debits, a credit kind its credits; a reversal
        # is the opposite side, so the same expression takes it off.
        sign = 1 if kind == LedgerKind.APPEL else -1
        amount = ExpressionWrapper(sign * (F("debit") - F("credit")), output_field=money.MONEY)
        rows = (
            d.ledger_of(scope)
            .filter(date__range=(start, end))
            .filter(money.of_kind(kind))
            .annotate(counted=amount)
            .select_related("contract", "contract__household", "reverses")
            .order_by("date", "pk")
        )
        total = rows.aggregate(total=Sum("counted"))["total"] or Decimal("0.00")
        return MoneyRows(rows=rows, total=total, of_entries=True)
    if path == DEBT_FIGURE:
        rows = (
            d.households_present_at_end(scope)
            .annotate(balance=d.balance_at(scope.end))
            .filter(balance__gt=0)
            .order_by("-balance", "reference")
        )
        total = rows.aggregate(total=Sum("balance"))["total"] or Decimal("0.00")
        return MoneyRows(rows=rows, total=total, of_entries=False)
    raise LookupError(f"Montant inconnu : {path}")
