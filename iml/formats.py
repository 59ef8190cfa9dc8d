"""French formats, one home each: amounts in euros, whole and decimal numbers, dates, months.

Pages (through ``iml_tags``), documents, e-mails and messages use these, so that an amount or a
date reads the same everywhere: ``1 234,50 €`` (narrow no-break space for thousands, no-break
space before the sign), ``12,3``, ``07/12/2026``, « de mars 2025 »."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import dateformat

THIN_SPACE = "\u202f"  # narrow no-break space: thousands
NO_BREAK_SPACE = "\u00a0"  # before € and %


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def euros(value: Any) -> str:
    """1234.5 → « 1 234,50 € »; empty for None or ""."""
    if value in (None, ""):
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{THIN_SPACE.join(groups)},{cents}{NO_BREAK_SPACE}€"


def fr_int(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return str(value)
    return f"{int(number):,}".replace(",", THIN_SPACE)


def fr_decimal(value: Any, places: int = 1) -> str:
    """12.25 → « 12,3 » (half away from zero), thousands with a narrow no-break space."""
    number = _decimal(value)
    if number is None:
        return str(value)
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}"
    return text.replace(",", THIN_SPACE).replace(".", ",")


def fr_date(value: datetime.date | str | None) -> str:
    """``07/12/2026`` (an ISO string is read first); « — » for None."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def of_month(month: datetime.date) -> str:
    """« de mars 2025 », « d’avril 2025 » (French elision before a vowel)."""
    name = dateformat.format(month, "F Y")
    return f"d’{name}" if name[:1] in "aeiouâéèêîôû" else f"de {name}"
