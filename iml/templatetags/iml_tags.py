"""Template helpers: French labels of stored codes, euros in French format."""

from __future__ import annotations

from django import template
from django.db import models

from iml import codes, formats

register = template.Library()


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
    """1234.5 → « 1 234,50 € » (``iml.formats.euros``)."""
    return formats.euros(value)


@register.filter
def resource_amounts(amounts: dict) -> str:
    """« RSA 612,50 €/mois, AAH 971,37 €/mois » of a resources record's monthly amounts."""
    return ", ".join(
        f"{codes.Resource(code).label} {euros(value)}/mois" for code, value in amounts.items()
    )
