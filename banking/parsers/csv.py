"""CSV exports of French banks: ``;`` or ``,`` between columns, a decimal comma, dates as
JJ/MM/AAAA or AAAA-MM-JJ, UTF-8 or Windows-1252, the amount in one column or in two (debit,
credit). Which column is which is the account's mapping (``BankAccount.csv_mapping``), saved
at the first import::

    {"date": "Date opération", "label": "Libellé", "amount": "Montant",   # or "debit"/"credit"
     "reference": "Référence", "value_date": "Date valeur", "delimiter": ";",
     "date_format": "JJ/MM/AAAA"}

Columns are named as in the file's header (compared without accents nor case); lines before
the header (the bank's title, the account number…) are skipped, and an IBAN found there names
the account.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from banking.codes import StatementFormat
from banking.parsers import ParsedLine, ParsedStatement, refuse
from banking.rules import normalise

DATE_FORMATS = {
    "JJ/MM/AAAA": "%d/%m/%Y",
    "AAAA-MM-JJ": "%Y-%m-%d",
    "JJ/MM/AA": "%d/%m/%y",
    "JJ-MM-AAAA": "%d-%m-%Y",
    "JJ.MM.AAAA": "%d.%m.%Y",
}
DELIMITERS = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
COLUMNS = ("date", "label", "amount", "debit", "credit", "reference", "value_date",
           "counterparty")  # fmt: skip
COLUMN_NAMES = {
    "date": "date d’opération",
    "label": "libellé",
    "amount": "montant",
    "debit": "débit",
    "credit": "crédit",
    "reference": "référence",
    "value_date": "date de valeur",
    "counterparty": "contrepartie",
}
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


def decode(data: bytes) -> str:
    """UTF-8 (with or without its mark), else Windows-1252, which every byte decodes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """The separator of the first line that has one (the header, or the bank's title)."""
    for line in text.splitlines()[:20]:
        counts = {delimiter: line.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ";"


def _rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error:
        raise refuse(
            [f"ligne {reader.line_num + 1} : CSV mal formé (guillemets ou caractères invalides)."]
        ) from None
    return rows


def _wanted(mapping: dict, key: str) -> list[str]:
    value = mapping.get(key) or []
    return [value] if isinstance(value, str) else [v for v in value if v]


def parse_amount(text: str) -> Decimal:
    """« 1 234,56 », « -45,00 € », « 1.234,56 », « +120.5 »: a Decimal with cents."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text, flags=re.IGNORECASE)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    if cleaned.endswith("-"):  # « 45,00- »
        cleaned, negative = cleaned[:-1], True
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", cleaned):
        cleaned = cleaned.replace(".", "")  # « 1.234 »: thousands, never three decimals
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
        raise InvalidOperation(text)
    value = Decimal(cleaned)
    return (-value if negative else value).quantize(Decimal("0.01"))


def parse_date(text: str, date_format: str | None) -> datetime.date:
    formats = [DATE_FORMATS[date_format]] if date_format else list(DATE_FORMATS.values())
    for pattern in formats:
        try:
            return datetime.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _header_index(rows, mapping: dict) -> int | None:
    """The header is the first row naming the date column."""
    wanted = {normalise(name) for name in _wanted(mapping, "date")}
    for position, (_, cells) in enumerate(rows):
        if wanted & {normalise(cell) for cell in cells}:
            return position
    return None


def _preamble_iban(rows) -> str:
    for _, cells in rows:
        for match in _IBAN.finditer(" ".join(cells).upper()):
            try:
                return IBAN(match.group(0)).compact
            except SchwiftyException:
                continue
    return ""


def check_mapping(mapping: dict) -> list[str]:
    errors = []
    if not _wanted(mapping, "date"):
        errors.append("Indiquez la colonne de la date d’opération.")
    if not _wanted(mapping, "label"):
        errors.append("Indiquez la colonne du libellé.")
    has_amount = bool(_wanted(mapping, "amount"))
    has_split = bool(_wanted(mapping, "debit") or _wanted(mapping, "credit"))
    if has_amount == has_split:
        errors.append("Indiquez soit une colonne de montant, soit les colonnes débit et crédit.")
    elif has_split and not (_wanted(mapping, "debit") and _wanted(mapping, "credit")):
        errors.append("Indiquez les deux colonnes : débit et crédit.")
    if mapping.get("date_format") and mapping["date_format"] not in DATE_FORMATS:
        errors.append(
            f"Format de date inconnu « {mapping['date_format']} » (attendu : "
            + ", ".join(DATE_FORMATS)
            + ")."
        )
    if mapping.get("delimiter") and mapping["delimiter"] not in DELIMITERS:
        errors.append("Le séparateur de colonnes doit être « ; », « , » ou une tabulation.")
    return errors


def parse(data: bytes, mapping: dict) -> ParsedStatement:
    errors = check_mapping(mapping)
    if errors:
        raise ValidationError(errors)
    text = decode(data)
    if "\x00" in text:
        raise refuse(["ligne 1 : ce fichier n’est pas un CSV (il contient des caractères nuls)."])
    delimiter = mapping.get("delimiter") or sniff_delimiter(text)
    rows = _rows(text, delimiter)
    header_at = _header_index(rows, mapping)
    if header_at is None:
        raise refuse(
            [
                f"ligne 1 : en-tête introuvable : aucune ligne ne contient la colonne "
                f"« {_wanted(mapping, 'date')[0]} » (séparateur « {delimiter} »)."
            ]
        )
    header_line, header = rows[header_at]
    positions = {normalise(name): index for index, name in enumerate(header)}
    columns: dict[str, list[int]] = {}
    for key in COLUMNS:
        columns[key] = []
        for name in _wanted(mapping, key):
            if normalise(name) not in positions:
                errors.append(
                    f"ligne {header_line} : colonne « {name} » ({COLUMN_NAMES[key]}) absente de "
                    "l’en-tête."
                )
            else:
                columns[key].append(positions[normalise(name)])
    if errors:
        raise ValidationError(errors)
    date_format = mapping.get("date_format") or None
    lines: list[ParsedLine] = []
    for number, cells in rows[header_at + 1 :]:
        if not any(cells):
            continue
        line = _line(number, cells, columns, date_format, errors)
        if line is not None:
            lines.append(line)
    if errors:
        raise ValidationError(errors)
    if not lines:
        raise refuse([f"ligne {header_line} : aucune opération sous l’en-tête."])
    booked = [line.booked_on for line in lines]
    return ParsedStatement(
        format=StatementFormat.CSV,
        iban=_preamble_iban(rows[:header_at]),
        period_start=min(booked),
        period_end=max(booked),
        lines=lines,
    )


def _line(number, cells, columns, date_format, errors) -> ParsedLine | None:
    def cell(key: str) -> str:
        return " ".join(cells[i] for i in columns[key] if i < len(cells) and cells[i]).strip()

    needed = max(i for indexes in columns.values() for i in indexes)
    if len(cells) <= needed:
        errors.append(f"ligne {number} : {len(cells)} colonne(s), {needed + 1} attendues.")
        return None
    try:
        booked_on = parse_date(cell("date"), date_format)
    except ValueError:
        errors.append(f"ligne {number} : date illisible « {cell('date')} ».")
        return None
    value_on = None
    if cell("value_date"):
        try:
            value_on = parse_date(cell("value_date"), date_format)
        except ValueError:
            errors.append(f"ligne {number} : date de valeur illisible « {cell('value_date')} ».")
            return None
    try:
        if columns["amount"]:
            amount = parse_amount(cell("amount"))
        else:
            debit, credit = cell("debit"), cell("credit")
            debit_value = abs(parse_amount(debit)) if debit else Decimal(0)
            credit_value = abs(parse_amount(credit)) if credit else Decimal(0)
            if debit_value and credit_value:
                errors.append(f"ligne {number} : débit et crédit à la fois.")
                return None
            if not debit and not credit:
                raise InvalidOperation
            amount = credit_value - debit_value
    except InvalidOperation:
        shown = cell("amount") if columns["amount"] else f"{cell('debit')}|{cell('credit')}"
        errors.append(f"ligne {number} : montant illisible « {shown} ».")
        return None
    if amount == 0:
        return None
    label = cell("label")
    if not label:
        errors.append(f"ligne {number} : libellé vide.")
        return None
    return ParsedLine(
        booked_on=booked_on,
        value_on=value_on,
        amount=amount,
        label=label[:500],
        counterparty=cell("counterparty")[:200],
        reference=cell("reference")[:200],
        source_line=number,
    )


def guess_mapping(data: bytes) -> dict:
    """A first guess from the header, to prefill the mapping form."""
    text = decode(data)
    delimiter = sniff_delimiter(text)
    try:
        rows = _rows(text, delimiter)
    except ValidationError:
        return {"delimiter": delimiter}
    guess: dict = {"delimiter": delimiter}
    for position, (_, cells) in enumerate(rows[:20]):
        names = {normalise(cell): cell for cell in cells if cell}
        dates = [raw for name, raw in names.items() if "DATE" in name]
        if not dates:
            continue
        guess["date"] = next(
            (raw for name, raw in names.items() if "DATE" in name and "VALEUR" not in name),
            dates[0],
        )
        for key, words in (
            ("value_date", ("VALEUR",)),
            ("label", ("LIBELLE", "DESCRIPTION", "INTITULE", "NATURE")),
            ("amount", ("MONTANT",)),
            ("debit", ("DEBIT",)),
            ("credit", ("CREDIT",)),
            ("reference", ("REFERENCE",)),
        ):
            found = next((raw for name, raw in names.items() if any(w in name for w in words)), "")
            if found and (key != "value_date" or found != guess["date"]):
                guess[key] = found
        if guess.get("debit") and guess.get("credit"):
            guess.pop("amount", None)
        else:
            guess.pop("debit", None)
            guess.pop("credit", None)
        column = cells.index(guess["date"])
        samples = [row[column] for _, row in rows[position + 1 : position + 6] if len(row) > column]
        for name, pattern in DATE_FORMATS.items():
            try:
                for sample in samples:
                    datetime.datetime.strptime(sample, pattern)
            except ValueError:
                continue
            if samples:
                guess["date_format"] = name
                break
        break
    return guess
