"""What a text or a date typed anywhere may hold: no control character, no invisible character
that reorders or hides text (bidirectional overrides and isolates, zero-width marks), no line
break in a one-line field; a date within plausible bounds.

Checked for every field of every operator model when it is validated (``OrganisationOwned``'s
``clean_fields``, which every service runs through ``full_clean``), and by the interchange
workbook's reader: a value is refused with a French message, never silently cleaned, so that
what is stored is what the user saw.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError

# C0 and C1 controls but tab and the line breaks, DEL; bidirectional embeddings, overrides and
# isolates (they reverse a line of a PDF or a page: "Trojan Source"); zero-width characters
# and the byte-order mark (they hide text or split a word).
_INVISIBLE = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
)
FORBIDDEN = re.compile(f"[{_INVISIBLE}]")
FORBIDDEN_ON_ONE_LINE = re.compile(f"[{_INVISIBLE}\t\n\r\u2028\u2029]")

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def text_problem(value: str, *, multiline: bool) -> str | None:
    """A French message when ``value`` holds a character it may not, else None."""
    pattern = FORBIDDEN if multiline else FORBIDDEN_ON_ONE_LINE
    found = pattern.search(value)
    if found is None:
        return None
    character = found.group()
    if character in "\t\n\r\u2028\u2029":
        return "Ce champ tient sur une ligne : retirez le retour à la ligne ou la tabulation."
    return (
        f"Caractère invisible ou de contrôle interdit (U+{ord(character):04X}) : "
        "retirez-le, par exemple en retapant le texte."
    )


def date_problem(value: datetime.date) -> str | None:
    if EARLIEST <= value <= LATEST:
        return None
    return f"Date invraisemblable : entre le {EARLIEST:%d/%m/%Y} et le {LATEST:%d/%m/%Y}."


def check_text(value: str, *, multiline: bool = False) -> None:
    if problem := text_problem(value, multiline=multiline):
        raise ValidationError(problem, code="forbidden_character")


def check_date(value: datetime.date) -> None:
    if problem := date_problem(value):
        raise ValidationError(problem, code="implausible_date")


def field_problems(instance) -> dict[str, str]:
    """The problems of ``instance``'s text and date fields (arrays of texts included), by
    field name."""
    from django.contrib.postgres.fields import ArrayField
    from django.db import models

    problems: dict[str, str] = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if value is None or value == "":
            continue
        problem = None
        if isinstance(field, models.TextField) and isinstance(value, str):
            problem = text_problem(value, multiline=True)
        elif isinstance(field, models.CharField) and isinstance(value, str):
            problem = text_problem(value, multiline=False)
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            if isinstance(value, datetime.date):
                problem = date_problem(value)
        elif isinstance(field, ArrayField) and isinstance(value, list):
            problem = next(
                (p for v in value if isinstance(v, str) if (p := text_problem(v, multiline=False))),
                None,
            )
        if problem:
            problems[field.name] = problem
    return problems
