"""The report's outputs: PDF (WeasyPrint), XLSX workbook (openpyxl) and JSON, from the figures
in the JSON form of shared/docs/annual-report.md.

One description of the document (``document_sections``: sections, tables, rows, cells, with
their French labels and the dotted path of each figure) feeds the PDF, the workbook and the
report page, so that the three always say the same thing. Nothing here reads the database:
the figures, the narrative copy and the identity (``context``) are passed in, which is what
lets a frozen version be rendered from what it stored.

Key order is never relied on: PostgreSQL's ``jsonb`` does not keep it. Coded breakdowns follow
the order of their codes (iml/codes.py), age brackets their lower bound, open-ended breakdowns
(resources, structures, nationalities, sectors) their count; « non renseigné » comes last.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import capfirst
from django_countries import countries

from iml import codes
from iml.templatetags.iml_tags import euros
from reporting import charts

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


def fr_int(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return str(value)
    return f"{int(number):,}".replace(",", NNBSP)


def fr_decimal(value: Any, places: int = 1) -> str:
    """12.25 → « 12,3 » (half away from zero), thousands with a narrow no-break space."""
    number = _decimal(value)
    if number is None:
        return str(value)
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def fr_date(value: datetime.date | str) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


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
        """Whether the figure counts households or persons one can list."""
        return self.path is not None and self.kind == "count"

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
) -> Table:
    """A breakdown ``{code: count}`` as a table with a total row.

    ``order``: "codes" (the labels' order), "count" (largest first) or "age"."""
    mapping = _dig(figures, path, {}) or {}
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
        key=key, title=title, columns=[column], rows=rows, label_header=label_header, note=note
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


# --- Sections -------------------------------------------------------------------------------


def _identity(figures: dict, narrative: dict, context: dict) -> Section:
    period = figures.get("period", {})
    start, end = period.get("start"), period.get("end")
    category = " — ".join(part for part in (context.get("category"), context.get("zone")) if part)
    identity = Table(
        key="identity",
        title="Identité du dispositif",
        columns=["Valeur"],
        compare=False,
        rows=[
            Row("organisation", "Opérateur", [Cell(context.get("organisation") or "—", "text")]),
            Row(
                "dispositif",
                "Dispositif",
                [
                    Cell(
                        f"{context['dispositif']} ({figures.get('dispositif', '')})"
                        if context.get("dispositif")
                        else figures.get("dispositif", "—"),
                        "text",
                    )
                ],
            ),
            Row("category", "Catégorie et zone", [Cell(category or "—", "text")]),
            Row("funder", "Financeur", [Cell(context.get("funder") or "—", "text")]),
            Row("places", "Capacité (places)", [Cell(context.get("places"), "count")]),
            Row(
                "units",
                "Logements en fin de période",
                [Cell(_dig(figures, "housing.units_at_end"), "count", "housing.units_at_end")],
            ),
            Row("staff_etp", "Effectif (ETP)", [Cell(narrative.get("staff_etp"), "etp")]),
            Row(
                "period",
                "Période",
                [Cell(period_label(start, end) if start and end else "—", "text")],
            ),
        ],
    )
    flows = Table(
        key="flows",
        title="Activité de la période",
        columns=["Ménages", "Personnes"],
        rows=[
            Row(
                key,
                label,
                [
                    Cell(_dig(figures, f"households.{key}"), "count", f"households.{key}"),
                    Cell(_dig(figures, f"persons.{key}"), "count", f"persons.{key}"),
                ],
            )
            for key, label in (
                ("present_at_start", "Présents au début de la période"),
                ("entered", "Entrés"),
                ("exited", "Sortis"),
                ("present_at_end", "Présents en fin de période"),
                ("accompanied", "Accompagnés sur la période"),
            )
        ],
    )
    households = figures.get("households", {})
    persons = figures.get("persons", {})
    paragraphs = []
    if start and end:
        paragraphs.append(
            f"Sur la période {period_label(start, end)}, le dispositif a accompagné "
            f"{count_of(households.get('accompanied', 0), 'ménage', 'ménages')} "
            f"({count_of(persons.get('accompanied', 0), 'personne', 'personnes')})."
        )
    return Section(
        key="identite",
        number=1,
        title="Identité et activité",
        sheet="1. Identité",
        paragraphs=paragraphs,
        tables=[identity, flows],
    )


NARRATIVE_PARTS = (
    ("mission", "Mission"),
    ("highlights", "Faits marquants"),
    ("difficulties", "Difficultés rencontrées"),
    ("perspectives", "Perspectives"),
)


def _narrative(narrative: dict) -> Section:
    return Section(
        key="recit",
        number=2,
        title="Présentation par le service",
        sheet="2. Récit",
        texts=[(heading, (narrative.get(key) or "").strip()) for key, heading in NARRATIVE_PARTS],
    )


def _orientations(figures: dict) -> Section:
    withdrawn = _dig(figures, "orientations.withdrawn", {}) or {}
    summary = _facts(
        "orientations",
        "Orientations du SIAO",
        figures,
        [
            ("received", "Orientations reçues", "orientations.received", "count"),
            ("admitted", "dont entrées dans la période", "orientations.admitted", "count"),
            (
                "pending_at_end",
                "En attente en fin de période",
                "orientations.pending_at_end",
                "count",
            ),
        ],
    )
    summary.rows.insert(
        2,
        Row(
            "withdrawn",
            "Retirées de la liste d’attente",
            # Computed here: no figure of the JSON form to list.
            [Cell(sum(int(v or 0) for v in withdrawn.values()), "count")],
        ),
    )
    reasons = breakdown(
        "withdrawn",
        "Retraits de la liste d’attente, par motif",
        figures,
        "orientations.withdrawn",
        labels=_choices(codes.WithdrawalReason),
        label_header="Motif",
    )
    return Section(
        key="orientations",
        number=3,
        title="Orientations",
        sheet="3. Orientations",
        tables=[summary, reasons],
    )


def _housing(figures: dict) -> Section:
    stock = _facts(
        "stock",
        "Parc en fin de période",
        figures,
        [
            ("units_at_end", "Logements", "housing.units_at_end", "count"),
            ("places_at_end", "Places", "housing.places_at_end", "places"),
            ("rooms_at_end", "Chambres (logements partagés)", "housing.rooms_at_end", "count"),
            (
                "occupied_units_at_end",
                "Logements occupés",
                "housing.occupied_units_at_end",
                "count",
            ),
            ("vacant_units_at_end", "Logements vacants", "housing.vacant_units_at_end", "count"),
            (
                "occupancy_rate",
                "Taux d’occupation sur la période",
                "housing.occupancy_rate",
                "rate",
            ),
        ],
    )
    moves = _facts(
        "moves",
        "Mouvements de la période",
        figures,
        [
            ("captured", "Logements captés", "housing.captured", "count"),
            ("returned", "Logements rendus", "housing.returned", "count"),
            (
                "glissement_bail",
                "dont glissement de bail",
                "housing.returned_by_reason.glissement_bail",
                "count",
            ),
        ],
    )
    return Section(
        key="parc",
        number=4,
        title="Parc de logements",
        sheet="4. Parc de logements",
        tables=[
            stock,
            moves,
            breakdown(
                "typology",
                "Logements par typologie en fin de période",
                figures,
                "housing.units_by_typology_at_end",
                labels=_choices(codes.Typology),
                label_header="Typologie",
                total_path="housing.units_at_end",
            ),
            breakdown(
                "returned_by_reason",
                "Logements rendus, par motif",
                figures,
                "housing.returned_by_reason",
                labels=_choices(codes.UnitReturnReason),
                label_header="Motif",
                total_path="housing.returned",
            ),
            breakdown(
                "parc",
                "Parc privé ou public en fin de période",
                figures,
                "housing.by_parc_at_end",
                labels=_choices(codes.Parc),
                label_header="Parc",
                total_path="housing.units_at_end",
            ),
            breakdown(
                "sector",
                "Logements par secteur en fin de période",
                figures,
                "housing.by_sector_at_end",
                order="count",
                label_header="Secteur",
                total_path="housing.units_at_end",
            ),
        ],
    )


def _group(figures: dict, group: str, number: int, sheet: str, *, with_charts: bool) -> Section:
    g = figures.get(group, {}) or {}
    period = figures.get("period", {})
    summary = _facts(
        f"{group}-summary",
        "Ménages et personnes",
        figures,
        [
            ("households", "Ménages", f"{group}.households", "count"),
            ("persons", "Personnes", f"{group}.persons", "count"),
            ("adults", "Adultes", f"{group}.adults", "count"),
            ("children", "Enfants", f"{group}.children", "count"),
            ("children_of_age", "dont enfants majeurs", f"{group}.children_of_age", "count"),
            ("reinforced", "Ménages en accompagnement renforcé", f"{group}.reinforced", "count"),
        ],
    )
    typology = nested_breakdown(
        f"{group}-typology",
        "Composition des ménages",
        figures,
        f"{group}.typology",
        labels=HOUSEHOLD_TYPOLOGY,
        columns=[
            ("households", "Ménages"),
            ("children", "Enfants"),
            ("reinforced", "Accompagnement renforcé"),
        ],
        total_paths={
            "households": f"{group}.households",
            "children": f"{group}.children",
            "reinforced": f"{group}.reinforced",
        },
        label_header="Typologie",
    )
    tables = [
        summary,
        typology,
        breakdown(
            f"{group}-protection",
            "Statut des personnes",
            figures,
            f"{group}.protection_status",
            labels=_choices(codes.ProtectionStatus),
            column="Personnes",
            label_header="Statut",
            total_path=f"{group}.persons",
        ),
        breakdown(
            f"{group}-ages",
            "Âge des personnes",
            figures,
            f"{group}.age_brackets",
            label=age_label,
            order="age",
            column="Personnes",
            label_header="Tranche d’âge",
            total_path=f"{group}.persons",
        ),
        breakdown(
            f"{group}-resources",
            "Ressources des ménages",
            figures,
            f"{group}.resources",
            label=resource_label,
            order="count",
            column="Ménages",
            label_header="Nature des ressources",
            total_path=f"{group}.households",
        ),
        breakdown(
            f"{group}-prior",
            "Situation avant l’entrée",
            figures,
            f"{group}.prior_situation",
            labels=_choices(codes.PriorSituation),
            column="Ménages",
            label_header="Situation",
            total_path=f"{group}.households",
        ),
    ]
    paragraphs = []
    households, persons = g.get("households", 0), g.get("persons", 0)
    composition = (
        f"{count_of(persons, 'personne', 'personnes')} "
        f"({count_of(g.get('adults', 0), 'adulte', 'adultes')} et "
        f"{count_of(g.get('children', 0), 'enfant', 'enfants')}, dont "
        f"{count_of(g.get('children_of_age', 0), 'majeur', 'majeurs')})"
    )
    if group == "present_at_end":
        end = period.get("end")
        paragraphs.append(
            f"Ménages présents au {fr_date(end) if end else 'terme de la période'} : "
            f"{fr_int(households)}, soit {composition}. Ménages en accompagnement renforcé : "
            f"{fr_int(g.get('reinforced', 0))}."
        )
    elif group == "entries":
        paragraphs.append(
            f"Ménages entrés dans la période : {fr_int(households)}, soit {composition}. "
            "Avec les naissances et les personnes arrivées dans un ménage déjà présent, "
            f"{count_of(_dig(figures, 'persons.entered'), 'personne est entrée', 'personnes sont entrées')} "  # noqa: E501
            "au cours de la période."
        )
    else:
        paragraphs.append(
            f"Ménages sortis dans la période : {fr_int(households)}, soit {composition}."
        )
    if group == "entries":
        tables.append(
            breakdown(
                "entries-structures",
                "Structures d’orientation",
                figures,
                "entries.orienting_structures",
                label=lambda k: _label({}, k),
                order="count",
                column="Ménages",
                label_header="Structure",
                total_path="entries.households",
            )
        )
    if group in ("present_at_end", "exits"):
        buckets = STAY_PRESENT if group == "present_at_end" else STAY_EXITS
        stay = breakdown(
            f"{group}-stay",
            "Durée de séjour",
            {
                group: {
                    "stay_length": {
                        k: v for k, v in (g.get("stay_length") or {}).items() if k in buckets
                    }
                }
            },
            f"{group}.stay_length",
            labels=buckets,
            column="Ménages",
            label_header="Durée",
            total_path=f"{group}.households",
        )
        stay.rows.append(
            Row(
                "average_months",
                "Durée moyenne de séjour",
                [Cell((g.get("stay_length") or {}).get("average_months"), "months")],
            )
        )
        tables.append(stay)
    section = Section(
        key=group.replace("_", "-"),
        number=number,
        title=GROUP_TITLES[group],
        sheet=sheet,
        paragraphs=paragraphs,
        tables=tables,
    )
    if group == "exits":
        destinations = nested_breakdown(
            "exits-destinations",
            "Destination des ménages sortis",
            figures,
            "exits.destinations",
            labels=_choices(codes.ExitDestination),
            columns=[
                ("households", "Ménages"),
                ("bail_glissant", "dont bail glissant"),
                ("reinforced", "dont accompagnement renforcé"),
            ],
            total_paths={
                "households": "exits.households",
                "bail_glissant": None,
                "reinforced": "exits.reinforced",
            },
            label_header="Destination",
        )
        categories = breakdown(
            "exits-categories",
            "Catégories de destination",
            figures,
            "exits.destination_categories",
            labels=_choices(codes.DestinationCategory),
            column="Ménages",
            label_header="Catégorie",
            total_path="exits.households",
        )
        support = breakdown(
            "exits-support",
            "Accompagnement après la sortie",
            figures,
            "exits.exit_support",
            labels=_choices(codes.ExitSupport),
            column="Ménages",
            label_header="Mesure",
            total=False,
            note="Un ménage qui bénéficie de deux mesures compte dans chacune.",
        )
        sinistralite = breakdown(
            "exits-sinistralite",
            "Sinistralité à la sortie",
            figures,
            "exits.sinistralite",
            labels=SINISTRALITE,
            column="Ménages",
            label_header="Situation",
            total_path="exits.households",
        )
        section.tables += [destinations, categories, support, sinistralite]
        if with_charts:
            section.charts += [
                _bar(destinations, "Destination des ménages sortis"),
                _bar(categories, "Catégories de destination"),
            ]
    if with_charts and group == "present_at_end":
        section.charts += [
            _bar(typology, "Composition des ménages présents"),
            _bar(tables[3], "Âge des personnes présentes"),
        ]
    return section


def _nationalities(figures: dict, *, with_charts: bool) -> Section:
    nationalities = breakdown(
        "nationalities",
        "Nationalités des personnes accompagnées",
        figures,
        "nationalities",
        label=country_label,
        order="count",
        column="Personnes",
        label_header="Pays",
        total_path="persons.accompanied",
    )
    sex = breakdown(
        "sex",
        "Sexe des personnes accompagnées",
        figures,
        "sex",
        labels=_choices(codes.Sex),
        column="Personnes",
        label_header="Sexe",
        total_path="persons.accompanied",
    )
    countries_count = len(
        [k for k, v in (figures.get("nationalities") or {}).items() if k != UNKNOWN and v]
    )
    section = Section(
        key="nationalites",
        number=8,
        title="Nationalités et sexe",
        sheet="8. Nationalités et sexe",
        paragraphs=[
            f"Les {count_of(_dig(figures, 'persons.accompanied'), 'personne', 'personnes')} "
            f"accompagnées sur la période sont originaires de "
            f"{count_of(countries_count, 'pays', 'pays différents')}."
        ],
        tables=[nationalities, sex],
    )
    if with_charts:
        section.charts.append(
            _bar(
                nationalities,
                "Pays d’origine des personnes accompagnées",
                keep=10,
                others="Autres pays",
            )
        )
    return section


def _support(figures: dict, *, with_charts: bool) -> Section:
    activity = _facts(
        "support",
        "Accompagnement social",
        figures,
        [
            (
                "contracts_signed",
                "Contrats d’accompagnement signés",
                "support.contracts_signed",
                "count",
            ),
            (
                "amendments_signed",
                "Avenants de renouvellement signés",
                "support.amendments_signed",
                "count",
            ),
            (
                "households_with_interaction",
                "Ménages rencontrés au moins une fois",
                "support.households_with_interaction",
                "count",
            ),
            (
                "rdv_non_honore",
                "Rendez-vous non honorés",
                "support.interactions_by_type.rdv_non_honore",
                "count",
            ),
            (
                "atelier_collectif",
                "Ateliers collectifs",
                "support.interactions_by_type.atelier_collectif",
                "count",
            ),
            (
                "workshop_participants",
                "Participants aux ateliers collectifs",
                "support.workshop_participants",
                "count",
            ),
        ],
    )
    by_type = breakdown(
        "interactions-type",
        "Interactions par type",
        figures,
        "support.interactions_by_type",
        labels=_choices(codes.InteractionType),
        column="Interactions",
        label_header="Type",
    )
    by_domain = breakdown(
        "interactions-domain",
        "Interactions par domaine d’accompagnement",
        figures,
        "support.interactions_by_domain",
        labels=_choices(codes.SupportDomain),
        column="Interactions",
        label_header="Domaine",
        total=False,
        note="Une interaction qui couvre plusieurs domaines compte dans chacun.",
    )
    employment = breakdown(
        "employment",
        "Situation professionnelle des adultes accompagnés",
        figures,
        "support.employment",
        labels=_choices(codes.Employment),
        column="Adultes",
        label_header="Situation",
    )
    section = Section(
        key="accompagnement",
        number=9,
        title="Accompagnement",
        sheet="9. Accompagnement",
        tables=[activity, by_type, by_domain, employment],
    )
    if with_charts:
        section.charts.append(_bar(employment, "Situation professionnelle des adultes"))
    return section


def _rent(figures: dict) -> Section:
    rent = figures.get("rent", {}) or {}
    collected = sum(
        (_decimal(rent.get(key)) or Decimal(0))
        for key in ("paid_by_household", "paid_by_caf", "paid_by_aids")
    )
    table = _facts(
        "rent",
        "Loyers et impayés",
        figures,
        [
            ("called", "Loyers et charges appelés", "rent.called", "money"),
            ("paid_by_household", "Encaissé auprès des ménages", "rent.paid_by_household", "money"),
            ("paid_by_caf", "Aides au logement (CAF)", "rent.paid_by_caf", "money"),
            ("paid_by_aids", "Autres aides (FSL…)", "rent.paid_by_aids", "money"),
            ("collection_rate", "Taux de recouvrement", "rent.collection_rate", "rate"),
            (
                "households_up_to_date_at_end",
                "Ménages à jour en fin de période",
                "rent.households_up_to_date_at_end",
                "count",
            ),
            (
                "households_in_debt_at_end",
                "Ménages en dette en fin de période",
                "rent.households_in_debt_at_end",
                "count",
            ),
            ("debt_at_end", "Dette locative totale en fin de période", "rent.debt_at_end", "money"),
            (
                "repayment_plans_opened",
                "Plans d’apurement ouverts",
                "rent.repayment_plans_opened",
                "count",
            ),
        ],
    )
    table.rows.insert(4, Row("collected", "Total encaissé", [Cell(collected, "money")]))
    return Section(key="loyers", number=10, title="Loyers", sheet="10. Loyers", tables=[table])


def _funding(figures: dict, context: dict) -> Section:
    funding = figures.get("funding", {}) or {}
    table = _facts(
        "funding",
        "Financement BOP 177",
        figures,
        [
            (
                "average_units",
                "Nombre moyen de logements sur la période",
                "funding.average_units",
                "decimal",
            ),
            (
                "ceiling_per_unit",
                "Plafond annuel par logement",
                "funding.ceiling_per_unit",
                "money",
            ),
            ("theoretical", "Financement théorique", "funding.theoretical", "money"),
        ],
    )
    category = ", ".join(part for part in (context.get("category"), context.get("zone")) if part)
    paragraph = (
        f"{fr_decimal(funding.get('average_units', 0), 1)} logements en moyenne (arrondi : "
        f"{fr_int(_round_half_up(funding.get('average_units', 0)))}) \u00d7 "
        f"{euros(funding.get('ceiling_per_unit', 0))} par logement"
        f"{f' ({category})' if category else ''} = {euros(funding.get('theoretical', 0))}."
    )
    return Section(
        key="financement",
        number=11,
        title="Financement",
        sheet="11. Financement",
        paragraphs=[paragraph],
        tables=[table],
    )


def _round_half_up(value: Any) -> int:
    number = _decimal(value) or Decimal(0)
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gaps_sentence(gaps: int | None) -> str:
    if not gaps:
        return "Aucune lacune restante : chaque donnée utile aux tableaux est renseignée."
    return (
        f"{count_of(gaps, 'lacune restante', 'lacunes restantes')} : données manquantes "
        "comptées sous « non renseigné » dans les tableaux."
    )


def _quality(figures: dict, *, with_checks: bool = True) -> Section:
    gaps = _dig(figures, "quality.gaps", 0)
    checks = consistency_checks(figures) if with_checks else []
    paragraphs = [gaps_sentence(gaps)]
    tables = []
    if checks is None:
        paragraphs.append("Contrôles de cohérence indisponibles.")
    else:
        failed = sum(not check.ok for check in checks)
        paragraphs.append(
            "Tous les contrôles de cohérence sont respectés."
            if not failed
            else f"{count_of(failed, 'contrôle', 'contrôles')} de cohérence non "
            f"respecté{'s' if failed > 1 else ''} : voir le tableau ci-dessous."
        )
        tables.append(
            Table(
                key="checks",
                title="Contrôles de cohérence",
                columns=["Résultat", "Détail"],
                label_header="Contrôle",
                compare=False,
                rows=[
                    Row(
                        getattr(check, "code", f"check-{index}"),
                        check.label,
                        [
                            Cell("respecté" if check.ok else "NON RESPECTÉ", "text"),
                            Cell(check.detail, "text"),
                        ],
                    )
                    for index, check in enumerate(checks, start=1)
                ],
            )
        )
    return Section(
        key="qualite",
        number=12,
        title="Qualité des données",
        sheet="12. Qualité des données",
        paragraphs=paragraphs,
        tables=tables,
    )


def document_sections(
    figures: dict,
    *,
    narrative: dict | None = None,
    context: dict | None = None,
    with_charts: bool = True,
    with_checks: bool = True,
) -> list[Section]:
    """Every section of the document, in the order of shared/docs/annual-report.md."""
    narrative = narrative or {}
    context = context or {}
    return [
        _identity(figures, narrative, context),
        _narrative(narrative),
        _orientations(figures),
        _housing(figures),
        _group(
            figures, "present_at_end", 5, "5. Présents en fin de période", with_charts=with_charts
        ),
        _group(figures, "entries", 6, "6. Entrées", with_charts=with_charts),
        _group(figures, "exits", 7, "7. Sorties", with_charts=with_charts),
        _nationalities(figures, with_charts=with_charts),
        _support(figures, with_charts=with_charts),
        _rent(figures),
        _funding(figures, context),
        _quality(figures, with_checks=with_checks),
    ]


def path_label(path: str) -> str:
    """What the figure at ``path`` is, in French (« Sorties de la période — Destination des
    ménages sortis — Logement autonome, bailleur social (dont bail glissant) »), found by
    laying out a document holding only that figure; the path itself when nothing shows it.

    ``path`` may also name a breakdown or a cell of several figures (``…typology.femme_seule``
    for its households): the row or the total row showing it."""
    for leaf in (1, {}):
        skeleton: dict = {}
        node = skeleton
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = leaf
        try:
            sections = document_sections(skeleton, with_charts=False, with_checks=False)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        for section in sections:
            for table in section.tables:
                for row in table.rows:
                    label = capfirst(row.label) if not row.total else "Total"
                    for index, cell in enumerate(row.cells):
                        if cell.path == path:
                            column = f" ({table.columns[index]})" if len(table.columns) > 1 else ""
                            return f"{section.title} — {table.title} — {label}{column}"
                        if cell.path and cell.path.startswith(f"{path}."):
                            return f"{section.title} — {table.title} — {label}"
    return path


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


# --- Consistency checks ---------------------------------------------------------------------


def consistency_checks(figures: dict) -> list | None:
    """The consistency checks of ``reporting.quality`` (a pure function of the figures), or
    None when that module is not there."""
    try:
        from reporting.quality import consistency_checks as checks
    except ImportError:
        return None
    return checks(figures)


# --- Rendering ------------------------------------------------------------------------------


def render(
    figures: dict, fmt: str, *, narrative: dict | None = None, context: dict | None = None
) -> bytes:
    """The report as ``fmt`` ("pdf", "xlsx" or "json") bytes."""
    if fmt == "json":
        return json.dumps(figures, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(figures, narrative=narrative, context=context)
    if fmt == "xlsx":
        return render_xlsx(figures, narrative=narrative, context=context)
    raise ValueError(f"Unknown format {fmt!r}: expected one of {FORMATS}")


def render_pdf(
    figures: dict, *, narrative: dict | None = None, context: dict | None = None
) -> bytes:
    from weasyprint import HTML

    narrative = narrative or {}
    context = context or {}
    with translation.override("fr"):
        sections = document_sections(figures, narrative=narrative, context=context)
        period = figures.get("period", {})
        html = render_to_string(
            "documents/reporting/report.html",
            {
                "sections": sections,
                "figures": figures,
                "narrative": narrative,
                "context": context,
                "period": period_label(period["start"], period["end"]) if period else "",
                "gaps_sentence": gaps_sentence(_dig(figures, "quality.gaps", 0)),
                "generated_at": context.get("generated_at") or datetime.date.today(),
                "running_title_css": css_string(
                    " — ".join(
                        part
                        for part in (
                            context.get("organisation"),
                            f"Rapport d’activité {figures.get('dispositif', '')}",
                            period_label(period["start"], period["end"]) if period else "",
                        )
                        if part
                    )
                ),
            },
        )
    # No external resource: the document is self-contained (fonts are the system's).
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def css_string(text: str) -> str:
    """``text`` for a double-quoted CSS string: quotes, backslashes and controls escaped."""
    return "".join(
        f"\\{ord(char):x} " if char in '"\\' or ord(char) < 0x20 or char in "<>" else char
        for char in str(text)
    )


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"The report fetches no resource ({url[:40]}).")


# Characters a workbook cannot hold (openpyxl refuses them): the controls below 0x20 but tab,
# line feed and carriage return.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _sheet_title(name: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "-", name)[:31]
    candidate, index = title, 2
    while candidate in used:
        suffix = f" ({index})"
        candidate = title[: 31 - len(suffix)] + suffix
        index += 1
    used.add(candidate)
    return candidate


def render_xlsx(
    figures: dict, *, narrative: dict | None = None, context: dict | None = None
) -> bytes:
    """One sheet per section; each table: a title row, a header row (label, code, values),
    its rows. Numbers are numbers (money in euros with two decimals), codes are those of the
    JSON form."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    narrative = narrative or {}
    context = context or {}
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="E8E8E8")
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    with translation.override("fr"):
        sections = document_sections(
            figures, narrative=narrative, context=context, with_charts=False
        )
    for section in sections:
        sheet = workbook.create_sheet(_sheet_title(section.sheet, used))
        line = 1

        _put(sheet, line, 1, f"{section.number}. {section.title}", font=Font(bold=True, size=13))
        line += 1
        for paragraph in section.paragraphs:
            _put(sheet, line, 1, paragraph)
            line += 1
        for heading, text in section.texts:
            _put(sheet, line, 1, heading, font=bold, wrap=True)
            _put(sheet, line, 2, text or "Non renseigné.", wrap=True)
            line += 1
        for table in section.tables:
            line += 1
            _put(sheet, line, 1, table.title, font=Font(bold=True, size=12))
            line += 1
            for column, name in enumerate([table.label_header, "Code", *table.columns], 1):
                _put(sheet, line, column, name, font=bold, fill=header_fill)
            line += 1
            for row in table.rows:
                _put(sheet, line, 1, capfirst(row.label), font=bold if row.total else None)
                _put(sheet, line, 2, row.key)
                for column, cell in enumerate(row.cells, 3):
                    _put(
                        sheet,
                        line,
                        column,
                        cell.spreadsheet_value(),
                        font=bold if row.total else None,
                        fmt=_NUMBER_FORMATS.get(cell.kind),
                    )
                line += 1
            if table.note:
                _put(sheet, line, 1, table.note, font=Font(italic=True))
                line += 1
        sheet.column_dimensions["A"].width = 55
        sheet.column_dimensions["B"].width = 30 if section.key != "recit" else 100
        for letter in "CDE":
            sheet.column_dimensions[letter].width = 18
    period = figures.get("period", {})
    workbook.properties.title = "Rapport d’activité" + (
        f" {figures.get('dispositif', '')} {period_label(period['start'], period['end'])}"
        if period
        else ""
    )
    workbook.properties.creator = str(context.get("organisation") or "IML")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put(
    sheet, row: int, column: int, value: Any, *, font=None, fill=None, fmt=None, wrap: bool = False
) -> None:
    from openpyxl.styles import Alignment

    if isinstance(value, str):
        value = _ILLEGAL_XLSX.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        # A text stays a text, even when it starts with « = » (no formula injection).
        cell.data_type = "s"
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    if fmt:
        cell.number_format = fmt
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


_NUMBER_FORMATS = {
    "count": "0",
    "money": '#,##0.00 "€"',
    "etp": "0.00",
    "rate": '0.0 "%"',
    "months": '0.0 "mois"',
    "decimal": "0.0",
}


def flat_rows(sections: Iterable[Section]) -> Iterable[tuple[Section, Table, Row]]:
    for section in sections:
        for table in section.tables:
            for row in table.rows:
                yield section, table, row
