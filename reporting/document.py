"""The annual report as a document, before any format: formatting of numbers and dates in
French, the structure (sections, tables, rows, cells, charts), labels of codes and the
builders of tables. ``reporting.sections`` fills it from the figures; ``reporting.outputs``
renders it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django_countries import countries

from iml import codes
from iml.formats import euros, fr_date, fr_decimal, fr_int
from reporting import charts
from reporting.money_drilldown import MONEY_FIGURES

NNBSP = "\u202f"  # narrow no-break space: thousands
NBSP = "\u00a0"
UNKNOWN = "inconnu"
UNKNOWN_LABEL = "non renseigné"
FORMATS = ("pdf", "xlsx", "json")

HOUSEHOLD_TYPOLOGY = {
    "femme_seule": "femme seule",
    "homme_seul": "homme seul",
    "personne_seule": "personne seule (sexe non précisé)",
    "couple_sans_enfant": "couple sans enfant",
    "groupe_adultes": "groupe d’adultes sans enfant",
    "femme_avec_enfants": "femme avec enfant(s)",
    "homme_avec_enfants": "homme avec enfant(s)",
    "personne_avec_enfants": "adulte seul·e avec enfant(s)",
    "couple_avec_enfants": "couple avec enfant(s)",
}
STAY_PRESENT = {"lt6": "moins de 6 mois", "m6_12": "de 6 à 12 mois", "gt12": "plus de 12 mois"}
STAY_EXITS = {
    "lt6": "moins de 6 mois",
    "m6_12": "de 6 à 12 mois",
    "m13_18": "de 13 à 18 mois",
    "gt18": "plus de 18 mois",
}
SINISTRALITE = {
    "aucun": "ni impayé ni dégradation",
    "impaye": "impayé de loyer seulement",
    "degradation": "dégradations seulement",
    "multiple": "impayé et dégradations",
}
GROUP_TITLES = {
    "present_at_end": "Ménages et personnes présents en fin de période",
    "entries": "Entrées de la période",
    "exits": "Sorties de la période",
}


# --- Formatting -----------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def period_label(start: datetime.date | str, end: datetime.date | str) -> str:
    return f"du {fr_date(start)} au {fr_date(end)}"


def count_of(number: int, singular: str, plural: str) -> str:
    return f"{fr_int(number)} {singular if abs(int(number)) <= 1 else plural}"


# --- The document's structure ---------------------------------------------------------------


@dataclass
class Cell:
    """One figure. ``kind``: count, money, rate, months, decimal, etp or text. ``path``: the
    dotted path of the figure in the JSON form (drill-down), None when it is computed here."""

    value: Any
    kind: str = "count"
    path: str | None = None

    @property
    def display(self) -> str:
        value = self.value
        if value is None or value == "":
            return "—"
        if self.kind == "count":
            return fr_int(value)
        if self.kind == "money":
            return euros(value)
        if self.kind == "rate":
            return f"{fr_decimal(value, 1)}{NBSP}%"
        if self.kind == "months":
            return f"{fr_decimal(value, 1)}{NBSP}mois"
        if self.kind == "decimal":
            return fr_decimal(value, 1)
        if self.kind == "etp":
            return fr_decimal(value, 2)
        return str(value)

    @property
    def linkable(self) -> bool:
        """Whether the figure counts households or persons one can list, or is an amount
        whose entries (or households) one can list."""
        if self.path is None:
            return False
        return self.kind == "count" or (self.kind == "money" and self.path in MONEY_FIGURES)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"

    def spreadsheet_value(self) -> Any:
        if self.value is None or self.value == "":
            return None
        if self.kind == "count":
            return int(self.value)
        if self.kind in ("money", "etp"):
            return _decimal(self.value)
        if self.kind in ("rate", "months", "decimal"):
            return float(self.value)
        return str(self.value)


@dataclass
class Row:
    key: str
    label: str
    cells: list[Cell]
    total: bool = False
    # The previous period's main figure (the page's N-1 column), see attach_previous.
    previous: Cell | None = None


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[Row]
    label_header: str = "Libellé"
    note: str = ""
    # Whether the page shows the previous period beside the main figure.
    compare: bool = True
    # A breakdown's rows: one per code of the figure at ``codes_path`` (``codes`` only, when
    # set), labelled ``code_label(code)``; with ``measures``, a cell per measure
    # (``{codes_path}.{code}.{measure}``), else one (``{codes_path}.{code}``).
    codes_path: str | None = None
    code_label: Callable[[str], str] | None = None
    codes: tuple[str, ...] | None = None
    measures: tuple[str, ...] = ()

    @property
    def grid(self) -> list[tuple[Row, list[tuple[str, Cell]]]]:
        """Each row with its cells paired with their column names (``data-label``)."""
        return [(row, list(zip(self.columns, row.cells, strict=False))) for row in self.rows]


@dataclass
class Chart:
    """A horizontal bar chart: (label, count) items, « non renseigné » drawn grey."""

    title: str
    items: list[tuple[str, int]]
    muted: tuple[str, ...] = ()

    @property
    def svg(self) -> str:
        return charts.bar_chart(self.items, title=self.title, muted=self.muted)

    @property
    def fluid_svg(self) -> str:
        return charts.bar_chart(self.items, title=self.title, muted=self.muted, fluid=True)


@dataclass
class Section:
    key: str
    number: int
    title: str
    sheet: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    # Narrative texts: (heading, text).
    texts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"section-{self.key}"


# --- Labels ---------------------------------------------------------------------------------


def _choices(choices: type[models.TextChoices]) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _label(labels: dict[str, str], key: str) -> str:
    if key == UNKNOWN:
        return UNKNOWN_LABEL
    return labels.get(key, key)


def resource_label(combination: str) -> str:
    """« prestations_familiales+rsa » → « prestations familiales + RSA »."""
    if combination == UNKNOWN:
        return "non renseignées"
    labels = _choices(codes.Resource)
    return " + ".join(labels.get(part, part) for part in combination.split("+"))


def country_label(code: str) -> str:
    if code == UNKNOWN:
        return "non renseignée"
    with translation.override("fr"):
        return str(countries.name(code)) or code


def age_label(bracket: str) -> str:
    if bracket.endswith("+"):
        return f"{bracket[:-1]} ans et plus"
    low, _, high = bracket.partition("-")
    return f"{low} à {high} ans" if high else bracket


def _age_order(bracket: str) -> tuple[int, str]:
    match = re.match(r"\d+", bracket)
    return (int(match.group()) if match else 10**6, bracket)


def _coded_order(mapping: dict, labels: dict[str, str]) -> list[str]:
    """The codes in their declared order, then other keys, « inconnu » last."""
    known = [code for code in labels if code in mapping]
    others = sorted(key for key in mapping if key not in labels and key != UNKNOWN)
    return known + others + ([UNKNOWN] if UNKNOWN in mapping else [])


def _count_order(mapping: dict[str, Any], label) -> list[str]:
    """By count, largest first, then label; « inconnu » last."""
    keys = [key for key in mapping if key != UNKNOWN]
    keys.sort(key=lambda key: (-int(mapping[key] or 0), label(key)))
    return keys + ([UNKNOWN] if UNKNOWN in mapping else [])


def _dig(figures: dict, path: str, default: Any = 0) -> Any:
    value: Any = figures
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


# --- Table builders -------------------------------------------------------------------------


# Counts that are not rows one could list (a sum of places): no drill-down link.
NOT_LISTED = {"housing.places_at_end"}


def _facts(key: str, title: str, figures: dict, rows: list[tuple[str, str, str, str]]) -> Table:
    """A two-column table of figures: (row key, label, dotted path, kind)."""
    return Table(
        key=key,
        title=title,
        columns=["Nombre"],
        rows=[
            Row(
                key=row_key,
                label=label,
                cells=[Cell(_dig(figures, path), kind, None if path in NOT_LISTED else path)],
            )
            for row_key, label, path, kind in rows
        ],
    )


def breakdown(
    key: str,
    title: str,
    figures: dict,
    path: str,
    *,
    labels: dict[str, str] | None = None,
    label=None,
    order: str = "codes",
    column: str = "Nombre",
    label_header: str = "Libellé",
    total: bool = True,
    total_path: str | None = None,
    note: str = "",
    codes: tuple[str, ...] | None = None,
) -> Table:
    """A breakdown ``{code: count}`` as a table with a total row.

    ``order``: "codes" (the labels' order), "count" (largest first) or "age". ``codes``: the
    only codes shown (all when None)."""
    mapping = _dig(figures, path, {}) or {}
    if codes is not None:
        mapping = {code: value for code, value in mapping.items() if code in codes}
    labels = labels or {}
    label = label or (lambda code: _label(labels, code))
    if order == "codes":
        keys = _coded_order(mapping, labels)
    elif order == "age":
        keys = sorted(mapping, key=_age_order)
    else:
        keys = _count_order(mapping, label)
    rows = [
        Row(key=code, label=label(code), cells=[Cell(mapping[code], "count", f"{path}.{code}")])
        for code in keys
    ]
    if total:
        value = sum(int(mapping[code] or 0) for code in keys)
        rows.append(
            Row(
                key="total",
                label="Total",
                cells=[Cell(value, "count", total_path)],
                total=True,
            )
        )
    return Table(
        key=key,
        title=title,
        columns=[column],
        rows=rows,
        label_header=label_header,
        note=note,
        codes_path=path,
        code_label=label,
        codes=codes,
    )


def nested_breakdown(
    key: str,
    title: str,
    figures: dict,
    path: str,
    *,
    labels: dict[str, str],
    columns: list[tuple[str, str]],
    total_paths: dict[str, str | None],
    label_header: str = "Libellé",
) -> Table:
    """A breakdown ``{code: {measure: count}}`` (typology, destinations) with a total row."""
    mapping = _dig(figures, path, {}) or {}
    keys = _coded_order(mapping, labels)
    rows = []
    for code in keys:
        values = mapping[code] or {}
        cells = [
            Cell(values.get(measure, 0), "count", f"{path}.{code}.{measure}")
            for measure, _ in columns
        ]
        rows.append(Row(key=code, label=_label(labels, code), cells=cells))
    totals = [
        Cell(
            sum(int((mapping[code] or {}).get(measure, 0) or 0) for code in keys),
            "count",
            total_paths.get(measure),
        )
        for measure, _ in columns
    ]
    rows.append(Row(key="total", label="Total", cells=totals, total=True))
    return Table(
        key=key,
        title=title,
        columns=[name for _, name in columns],
        rows=rows,
        label_header=label_header,
        codes_path=path,
        code_label=lambda code: _label(labels, code),
        measures=tuple(measure for measure, _ in columns),
    )


def _chart_items(table: Table) -> list[tuple[str, int]]:
    """The rows of a one-figure table as chart items, capitalised, zeros left out."""
    return [
        (capfirst(row.label), int(row.cells[0].value or 0))
        for row in table.rows
        if not row.total and row.cells[0].value
    ]


UNKNOWN_LABELS = ("Non renseigné", "Non renseignée", "Non renseignées")


def _bar(table: Table, title: str, *, keep: int | None = None, others: str = "Autres") -> Chart:
    items = _chart_items(table)
    if keep:
        items = charts.top_items(items, keep=keep, others_label=others, last=UNKNOWN_LABELS)
    return Chart(title=title, items=items, muted=UNKNOWN_LABELS)


# --- The previous period --------------------------------------------------------------------


def attach_previous(sections: list[Section], previous: list[Section]) -> None:
    """Put the previous period's main figure beside each row (the page's N-1 column).

    Rows are matched by table and row key (never by position: open-ended breakdowns list
    different keys from one year to the next); a key absent the year before counts 0."""
    before = {
        (table.key, row.key): row.cells[0]
        for section in previous
        for table in section.tables
        for row in table.rows
    }
    for section in sections:
        for table in section.tables:
            if not table.compare:
                continue
            for row in table.rows:
                main = row.cells[0]
                found = before.get((table.key, row.key))
                if found is not None:
                    row.previous = Cell(found.value, found.kind)
                elif main.kind == "count":
                    row.previous = Cell(0, "count")
