"""The CAF's detail of its bulk payment, as the CAF's site exports it: a CSV list of
beneficiaries (allocataire number, name, month, amount), one line each.

Read tolerantly (``;`` or ``,`` between columns, decimal comma, UTF-8 or Windows encoding,
headers spelt in several ways), checked strictly: every error is given with its line number,
in French, and nothing is returned from a bad file.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from banking.rules import normalise
from tenancy.amounts import parse_amount

# The CAF's monthly detail of an operator is a few hundred lines: beyond, not its detail.
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024

# The columns, as ``normalise`` reads their headers, with what they are called in errors.
COLUMNS = {
    "allocataire": "N° allocataire",
    "name": "Nom",
    "period": "Période",
    "amount": "Montant",
}

ALLOCATAIRE = re.compile(r"^[0-9A-Z]{1,20}$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[/.-](\d{1,2})$")
# Characters a text cell may not carry (control and invisible formatting characters).
INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class DetailRow:
    line: int  # the line of the file (the header is line 1)
    allocataire: str
    name: str
    period: datetime.date  # the first day of the month the benefit is for
    amount: Decimal


def _column_of(header: str) -> str | None:
    words = normalise(header).split()
    if not words:
        return None
    if "MONTANT" in words:
        return "amount"
    if "PERIODE" in words or "MOIS" in words:
        return "period"
    if words[0] == "NOM" or "BENEFICIAIRE" in words:
        return "name"
    if "ALLOCATAIRE" in words or "MATRICULE" in words:
        return "allocataire"
    return None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ValidationError(
            "Fichier illisible : enregistrez le détail de la CAF au format CSV (UTF-8 ou Windows)."
        ) from None


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def parse_period(text: str) -> datetime.date | None:
    """``11/2025``, ``2025-11``: the first day of that month, or None."""
    text = text.strip()
    found = _MONTH_YEAR.match(text)
    if found:
        month, year = int(found[1]), int(found[2])
    else:
        found = _YEAR_MONTH.match(text)
        if not found:
            return None
        year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return datetime.date(year, month, 1)


def _header(row: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    errors = []
    for index, cell in enumerate(row):
        column = _column_of(cell)
        if column is None:
            continue
        if column in positions:
            errors.append(f"Ligne 1 : la colonne « {COLUMNS[column]} » figure deux fois.")
        positions[column] = index
    missing = [label for column, label in COLUMNS.items() if column not in positions]
    if missing:
        errors.append(
            "Ligne 1 : colonne" + ("s" if len(missing) > 1 else "") + " manquante"
            + ("s" if len(missing) > 1 else "") + " : " + ", ".join(f"« {m} »" for m in missing)
            + ". La première ligne doit nommer les colonnes N° allocataire, Nom, Période et "
            "Montant."
        )  # fmt: skip
    return positions, errors


def _row(number: int, cells: list[str], positions: dict[str, int]) -> tuple[DetailRow | None, list]:
    def cell(column: str) -> str:
        index = positions[column]
        return cells[index].strip() if index < len(cells) else ""

    errors = []
    allocataire = re.sub(r"\s+", "", cell("allocataire")).upper()
    if not allocataire:
        errors.append(f"Ligne {number} : le n° d’allocataire manque.")
    elif not ALLOCATAIRE.match(allocataire):
        errors.append(
            f"Ligne {number} : n° d’allocataire illisible « {allocataire[:30]} » (chiffres et "
            "lettres, 20 au plus)."
        )
    name = " ".join(cell("name").split())
    if not name:
        errors.append(f"Ligne {number} : le nom manque.")
    elif len(name) > 200 or INVISIBLE.search(name):
        errors.append(f"Ligne {number} : nom illisible (une ligne de 200 caractères au plus).")
    period = parse_period(cell("period"))
    if period is None:
        errors.append(
            f"Ligne {number} : période illisible « {cell('period')[:30]} » (MM/AAAA ou AAAA-MM, "
            "par exemple 11/2025)."
        )
    amount = None
    try:
        amount = parse_amount(cell("amount").replace("€", ""))
    except ValidationError as error:
        errors.append(f"Ligne {number} : {error.messages[0]} (« {cell('amount')[:30]} »)")
    if errors:
        return None, errors
    assert period is not None and amount is not None
    return DetailRow(number, allocataire, name, period, amount), []


def parse_detail(data: bytes) -> list[DetailRow]:
    """The rows of the CAF's detail, or a ValidationError listing every error of the file."""
    if not data.strip():
        raise ValidationError("Le fichier est vide.")
    if len(data) > MAX_BYTES:
        raise ValidationError("Fichier trop volumineux pour un détail de la CAF (2 Mo au plus).")
    text = _decode(data)
    first_line = text.lstrip().split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text.lstrip(), newline=""), delimiter=_delimiter(first_line))
    try:
        lines = list(reader)
    except csv.Error:
        raise ValidationError(
            "Fichier illisible : ce n’est pas un fichier CSV (colonnes séparées par « ; » ou "
            "« , »)."
        ) from None
    if not lines:
        raise ValidationError("Le fichier est vide.")
    positions, errors = _header(lines[0])
    if errors:
        raise ValidationError(errors)
    rows: list[DetailRow] = []
    seen: dict[tuple[str, datetime.date], int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        # The total some exports end with: the file is checked against the bank line instead.
        if normalise(cells[0]).startswith("TOTAL"):
            continue
        row, row_errors = _row(number, cells, positions)
        errors.extend(row_errors)
        if row is None:
            continue
        key = (row.allocataire, row.period)
        if key in seen:
            errors.append(
                f"Ligne {number} : l’allocataire {row.allocataire} figure déjà pour "
                f"{row.period:%m/%Y} (ligne {seen[key]})."
            )
        seen[key] = number
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ValidationError(f"Plus de {MAX_ROWS} lignes : ce n’est pas un détail de la CAF.")
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError("Le fichier ne contient aucune ligne de bénéficiaire.")
    return rows
