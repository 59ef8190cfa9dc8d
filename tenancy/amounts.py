"""Amounts in euros and months of the calendar: pure functions, no database.

Amounts are ``Decimal`` euros with cents; a prorated amount is rounded to the cent half away
from zero, as PostgreSQL's ``round(numeric, 2)`` does in the rent-call statement
(``tenancy.calls``), so that Python and SQL give the same cent.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from tenancy.models import SubleaseContract

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999.99")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    following: datetime.date = month_start(month) + relativedelta(months=1)
    return following


def month_days(month: datetime.date) -> int:
    return (next_month(month) - month_start(month)).days


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def prorate(amount: Decimal, days: int, days_in_month: int) -> Decimal:
    """A monthly amount for ``days`` of a month of ``days_in_month`` days, to the cent (the
    same rounding as PostgreSQL's ``round(numeric, 2)``: half away from zero)."""
    return (amount * days / days_in_month).quantize(CENT, rounding=ROUND_HALF_UP)


def days_covered(contract: SubleaseContract, month: datetime.date) -> int:
    """Days of ``month`` within the contract (its end date is the first day out)."""
    month = month_start(month)
    end = min(contract.actual_end_date or next_month(month), next_month(month))
    return max(0, (end - max(contract.start_date, month)).days)


def parse_amount(value: object) -> Decimal:
    """A positive amount in euros with at most two decimals ("125,50", "1 250.00"), or a
    French error."""
    invalid = "Montant invalide : saisissez par exemple 125,50."
    text = str(value).strip().replace(",", ".")
    for space in (" ", "\u202f", "\u00a0"):
        text = text.replace(space, "")
    if not text.isascii():
        # Decimal() reads full-width and other Unicode digits: only 0-9 are amounts here.
        raise ValidationError(invalid)
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


def clean_amount(value: object, field: str = "amount") -> Decimal:
    """``parse_amount``, its error attached to ``field``."""
    try:
        return parse_amount(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
