"""Template helpers: French labels of stored codes, euros in French format."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.db import models

from iml import codes

register = template.Library()
THIN_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"


@register.filter
def code_label(value, choices_name: str) -> str:
    """``{{ person.employment_code|code_label:"Employment" }}``; a list gives labels joined."""
    choices: type[models.TextChoices] = getattr(codes, choices_name)
    labels = dict(choices.choices)
    if isinstance(value, list | tuple):
        return ", ".join(str(labels.get(item, item)) for item in value)
    if value in (None, ""):
        return ""
    return str(labels.get(value, value))


@register.filter
def euros(value) -> str:
    """1234.5 → « 1 234,50 € » (narrow no-break space for thousands, as in French)."""
    if value in (None, ""):
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{THIN_SPACE.join(groups)},{cents}{NO_BREAK_SPACE}€"
