"""Cells to values and back: French dates and decimal commas in, ISO dates and dots out.

A parser returns the value, or raises ``CellError`` with a French message; an empty cell is
``None`` (or ``[]`` for lists) and is handled by the caller (required or not).
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django_countries import countries

from iml.validators import FORBIDDEN, FORBIDDEN_ON_ONE_LINE, date_problem, text_problem
from workbook import spec

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_FR_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")
_INT = re.compile(r"^[+-]?\d+$")
_POSTCODE = re.compile(r"^\d{5}$")
_SPACES = (" ", "\u00a0", "\u202f", "\u2009")
TRUE = {"true", "vrai", "oui", "1", "o", "yes"}
FALSE = {"false", "faux", "non", "0", "n", "no"}


class CellError(ValueError):
    pass


def is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def text(raw) -> str:
    """A cell as text: numbers of a spreadsheet without their ``.0``."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat() if raw.time() == datetime.time() else raw.isoformat()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    return str(raw).strip()


def _shown(raw) -> str:
    shown = text(raw)
    return shown if len(shown) <= 40 else shown[:40] + "…"


def _multiline(column: spec.Column) -> bool:
    """Notes may hold line breaks; every other text is one line."""
    return column.name == "notes"


def parse_date(raw) -> datetime.date:
    if isinstance(raw, datetime.date):
        day = raw.date() if isinstance(raw, datetime.datetime) else raw
        if date_problem(day):
            raise CellError(f"date hors des limites « {day:%d/%m/%Y} »")
        return day
    value = text(raw)
    match = _ISO_DATE.match(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _FR_DATE.match(value)
        if not match:
            raise CellError(f"date invalide « {_shown(raw)} » : écrivez AAAA-MM-JJ ou JJ/MM/AAAA")
        day, month, year = (int(part) for part in match.groups())
    try:
        day_value = datetime.date(year, month, day)
    except ValueError:
        raise CellError(f"date impossible « {_shown(raw)} »") from None
    if not 1900 <= year <= 2100:
        raise CellError(f"date hors des limites « {_shown(raw)} »")
    return day_value


def parse_month(raw) -> datetime.date:
    """``YYYY-MM`` (or ``MM/YYYY``, or a date cell): the first day of the month."""
    if isinstance(raw, datetime.date):
        return (raw.date() if isinstance(raw, datetime.datetime) else raw).replace(day=1)
    value = text(raw)
    match = _ISO_MONTH.match(value)
    if match:
        year, month = (int(part) for part in match.groups())
    else:
        match = _FR_MONTH.match(value)
        if not match:
            try:
                return parse_date(raw).replace(day=1)
            except CellError:
                raise CellError(f"mois invalide « {_shown(raw)} » : écrivez AAAA-MM") from None
        month, year = (int(part) for part in match.groups())
    if not 1 <= month <= 12 or not 1900 <= year <= 2100:
        raise CellError(f"mois impossible « {_shown(raw)} »")
    return datetime.date(year, month, 1)


def parse_decimal(raw, *, signed: bool = False) -> Decimal:
    """``512.40``, ``512,40``, ``1 250,00``, or a number cell; two decimals at most."""
    invalid = f"montant invalide « {_shown(raw)} » : écrivez par exemple 512.40 ou 512,40"
    if isinstance(raw, bool):
        raise CellError(invalid)
    if isinstance(raw, int | Decimal):
        amount = Decimal(raw)
    elif isinstance(raw, float):
        amount = Decimal(repr(raw))
        # A spreadsheet's binary float (512.40000000000003): the cents it means.
        if amount != amount.quantize(CENT) and abs(amount - amount.quantize(CENT)) < Decimal(
            "0.000001"
        ):
            amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        value = text(raw).removesuffix("€").strip()
        for space in _SPACES:
            value = value.replace(space, "")
        if "," in value and "." in value:
            raise CellError(invalid)
        value = value.replace(",", ".")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
            raise CellError(invalid)
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise CellError(invalid) from None
    if not amount.is_finite():
        raise CellError(invalid)
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise CellError(f"montant « {_shown(raw)} » : deux décimales au plus (les centimes)")
    if abs(amount) > MAX_AMOUNT:
        raise CellError(f"montant trop élevé « {_shown(raw)} »")
    if amount < 0 and not signed:
        raise CellError(f"montant négatif « {_shown(raw)} »")
    return amount.quantize(CENT)


def parse_int(raw, *, min_value: int | None = None, max_value: int | None = None) -> int:
    if isinstance(raw, bool):
        raise CellError(f"nombre entier attendu « {_shown(raw)} »")
    if isinstance(raw, float) and raw.is_integer():
        number = int(raw)
    elif isinstance(raw, int):
        number = raw
    else:
        value = text(raw)
        if not _INT.match(value):
            raise CellError(f"nombre entier attendu « {_shown(raw)} »")
        number = int(value)
    if min_value is not None and number < min_value:
        raise CellError(f"{number} : au moins {min_value}")
    if max_value is not None and number > max_value:
        raise CellError(f"{number} : au plus {max_value}")
    return number


def parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    value = text(raw).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise CellError(f"« {_shown(raw)} » : écrivez true ou false (oui / non, 1 / 0)")


def _code(value: str, choices) -> str:
    code = value.strip().lower()
    if code not in choices.values:
        raise CellError(f"code inconnu « {value[:40]} » (codes : {', '.join(choices.values)})")
    return code


def parse_code(raw, choices) -> str:
    return _code(text(raw), choices)


def split_list(raw) -> list[str]:
    """``a; b;;c`` → ``[a, b, c]``, each once, in order."""
    seen: dict[str, None] = {}
    for part in text(raw).split(";"):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def parse_codes(raw, choices) -> list[str]:
    return sorted({_code(part, choices) for part in split_list(raw)})


def parse_country(raw) -> str:
    code = text(raw).upper()
    if not countries.alpha2(code) or len(code) != 2:
        raise CellError(f"pays inconnu « {_shown(raw)} » : code ISO à deux lettres (FR, AF, SD…)")
    return code


def parse_postcode(raw) -> str:
    value = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else text(raw)
    if value.isdigit() and len(value) == 4:
        value = "0" + value  # a number cell lost its leading zero (01000)
    if not _POSTCODE.match(value):
        raise CellError(f"code postal invalide « {_shown(raw)} » : 5 chiffres")
    return value


def parse_text(raw, *, max_length: int | None = None, multiline: bool = False) -> str:
    value = text(raw)
    if "\x00" in value:
        raise CellError("caractère nul interdit")
    # The same characters as everywhere in the software (``iml.validators``).
    if problem := text_problem(value, multiline=multiline):
        raise CellError(problem[0].lower() + problem[1:].rstrip("."))
    if max_length is not None and len(value) > max_length:
        raise CellError(f"{len(value)} caractères : {max_length} au plus")
    return value


def parse(column: spec.Column, raw):
    """The value of a non-empty cell for ``column``."""
    kind = column.kind
    if kind == spec.TEXT:
        return parse_text(raw, max_length=column.max_length, multiline=_multiline(column))
    if kind == spec.DATE:
        return parse_date(raw)
    if kind == spec.MONTH:
        return parse_month(raw)
    if kind == spec.MONEY:
        return parse_decimal(raw)
    if kind == spec.AMOUNT:
        return parse_decimal(raw, signed=True)
    if kind == spec.INT:
        return parse_int(raw, min_value=column.min_value, max_value=column.max_value)
    if kind == spec.BOOL:
        return parse_bool(raw)
    if kind == spec.CODE:
        return parse_code(raw, column.choices)
    if kind == spec.CODES:
        return parse_codes(raw, column.choices)
    if kind == spec.LIST:
        values = split_list(raw)
        for value in values:
            parse_text(value, max_length=254)
        return values
    if kind == spec.COUNTRY:
        return parse_country(raw)
    if kind == spec.POSTCODE:
        return parse_postcode(raw)
    raise AssertionError(kind)


_SIMPLE_AMOUNT = re.compile(r"-?\d{1,8}(?:\.\d{1,2})?").fullmatch


def parser(column: spec.Column):
    """``parse`` for ``column``, with fast paths for the common text cells (CSV): ISO dates,
    amounts with a dot, codes. The argument is a non-empty cell (text already stripped)."""
    kind = column.kind
    if kind == spec.TEXT:
        max_length = column.max_length
        multiline = _multiline(column)
        forbidden = (FORBIDDEN if multiline else FORBIDDEN_ON_ONE_LINE).search

        def text_cell(raw):
            if raw.__class__ is str:
                if "\x00" in raw:
                    raise CellError("caractère nul interdit")
                if max_length is not None and len(raw) > max_length:
                    raise CellError(f"{len(raw)} caractères : {max_length} au plus")
                if forbidden(raw) is None:
                    return raw
            return parse_text(raw, max_length=max_length, multiline=multiline)

        return text_cell
    if kind == spec.DATE:
        fromisoformat = datetime.date.fromisoformat

        def date_cell(raw):
            if raw.__class__ is str and len(raw) == 10 and raw[4] == "-":
                try:
                    day = fromisoformat(raw)
                except ValueError:
                    return parse_date(raw)
                if 1900 <= day.year <= 2100:
                    return day
            return parse_date(raw)

        return date_cell
    if kind in (spec.MONEY, spec.AMOUNT):
        signed = kind == spec.AMOUNT

        def amount_cell(raw):
            if raw.__class__ is str and _SIMPLE_AMOUNT(raw):
                amount = Decimal(raw)
                if amount < 0 and not signed:
                    raise CellError(f"montant négatif « {_shown(raw)} »")
                return amount
            return parse_decimal(raw, signed=signed)

        return amount_cell
    if kind == spec.CODE:
        allowed = frozenset(column.choices.values)
        choices = column.choices

        def code_cell(raw):
            if raw.__class__ is str and raw in allowed:
                return raw
            return parse_code(raw, choices)

        return code_cell
    return lambda raw: parse(column, raw)


def empty_value(column: spec.Column):
    """The value of an empty cell."""
    return [] if column.kind in (spec.CODES, spec.LIST) else None


# --- Writing --------------------------------------------------------------------------------


def format_value(value) -> str:
    """A value as the export writes it in a CSV (and the comparisons read it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value.quantize(CENT):f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return str(value)


def format_month(value: datetime.date | None) -> str:
    return "" if value is None else f"{value:%Y-%m}"


# A spreadsheet opening a CSV takes a cell starting with one of these for a formula
# (``=HYPERLINK(…)``, ``+cmd``, ``-cmd``, ``@SUM(…)``): the CSV export writes such a text
# behind an apostrophe, which spreadsheets read as "text follows", and the import removes it.
# A text already starting with apostrophes before one of these gets one more, so that the
# import gives back exactly what was exported. Numbers are never escaped: ``-20.00`` in
# ``amount`` stays a number.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(value: str) -> bool:
    return value.lstrip("'").startswith(FORMULA_STARTS)


def escape_formula(value: str) -> str:
    return "'" + value if _looks_like_formula(value) else value


def unescape_formula(value: str) -> str:
    return value[1:] if value[:1] == "'" and _looks_like_formula(value) else value
