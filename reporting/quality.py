"""Data quality of a report: the gaps (what the report counts under an ``inconnu`` key) and the
consistency checks.

A gap is one (record, field) pair: a person without nationality counts once even when it
appears in three groups. Each kind of gap is found by one query over the same definitions the
figures use (``reporting.definitions``) or, for a kind one figure counts whole, through that
figure's drill-down; ``gap_count`` counts the same for the report's ``quality.gaps``, so that it
is exactly ``len(quality_gaps(scope))``, whatever the number of households.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Q
from django.urls import reverse

from reporting import definitions as d
from reporting.definitions import ReportScope
from reporting.drilldown import figure_queryset


@dataclass(frozen=True)
class Gap:
    """A missing piece of information and where to fix it."""

    model: str  # "household", "person" or "housingunit"
    public_id: str
    field: str
    label: str  # French, for the page: "Ménage M-0004 : destination de sortie non renseignée"
    url: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.model, self.public_id, self.field)


@dataclass(frozen=True)
class Check:
    """A consistency check shown with the report (never hidden)."""

    code: str
    label: str
    ok: bool
    detail: str


# What each gap is about, in French (the field's name on the record's page).
FIELD_LABELS = {
    "orientation_date": "date d’orientation SIAO non renseignée",
    "composition": "composition : aucun adulte dans le ménage",
    "resources": "ressources non renseignées",
    "prior_situation": "situation avant l’entrée non renseignée",
    "orienting_structure": "structure orienteuse non renseignée",
    "exit_destination": "destination de sortie non renseignée",
    "withdrawal_reason": "motif du retrait non renseigné",
    "protection_status": "statut non renseigné",
    "nationality": "nationalité non renseignée",
    "employment": "situation d’emploi non renseignée",
    "return_reason": "motif de restitution non renseigné",
    "sector": "secteur non renseigné",
}


def _household_url(public_id, field: str) -> str:
    if field == "resources":
        return reverse("households:resources_add", kwargs={"household": public_id})
    return reverse("households:household_detail", kwargs={"household": public_id})


def _person_url(public_id, field: str) -> str:
    if field == "employment":
        return reverse("households:employment_add", kwargs={"person": public_id})
    return reverse("households:person_edit", kwargs={"person": public_id})


def _unit_url(public_id, field: str) -> str:
    return reverse("housing:unit_edit", kwargs={"unit": public_id})


def _household_gaps(queryset, field: str) -> list[Gap]:
    return [
        Gap(
            "household",
            str(public_id),
            field,
            f"Ménage {reference} : {FIELD_LABELS[field]}",
            _household_url(public_id, field),
        )
        for public_id, reference in queryset.order_by("reference").values_list(
            "public_id", "reference"
        )
    ]


def _person_gaps(queryset, field: str) -> list[Gap]:
    rows = queryset.order_by("household__reference", "last_name", "first_name", "pk")
    return [
        Gap(
            "person",
            str(public_id),
            field,
            f"{first_name} {last_name} (ménage {reference}) : {FIELD_LABELS[field]}",
            _person_url(public_id, field),
        )
        for public_id, first_name, last_name, reference in rows.values_list(
            "public_id", "first_name", "last_name", "household__reference"
        )
    ]


def _unit_gaps(queryset, field: str) -> list[Gap]:
    return [
        Gap(
            "housingunit",
            str(public_id),
            field,
            f"Logement {reference} : {FIELD_LABELS[field]}",
            _unit_url(public_id, field),
        )
        for public_id, reference in queryset.order_by("reference").values_list(
            "public_id", "reference"
        )
    ]


def _any_group_household(scope: ReportScope) -> Q:
    condition = Q()
    for group in d.GROUPS:
        condition |= d.q_group_household(scope, group)
    return condition


def _any_group_person(scope: ReportScope) -> Q:
    condition = Q()
    for group in d.GROUPS:
        condition |= d.q_group_person(scope, group)
    return condition


# Two kinds of gaps. Those of a field of a fixed list whose records are the rows of one figure:
# the rows behind its ``inconnu`` (the figure's drill-down) are the gaps, its value is their
# number. The others are found by a condition: records of several groups (counted once), and
# open-ended fields (whose ``inconnu`` also counts a value written "inconnu", which is no gap).
FIGURE_GAPS = (
    ("household", "exit_destination", "exits.destinations.inconnu.households"),
    ("household", "withdrawal_reason", "orientations.withdrawn.inconnu"),
    ("person", "nationality", "nationalities.inconnu"),
    ("person", "employment", "support.employment.inconnu"),
    ("housingunit", "return_reason", "housing.returned_by_reason.inconnu"),
)


def _gap_conditions(scope: ReportScope) -> list[tuple[str, models.QuerySet, dict[str, Q]]]:
    """Per model, its records and, per field, the condition of the gap."""
    in_groups = _any_group_household(scope)
    # Typology "inconnu": no adult among the group's persons, in one group at least (the
    # composition of a household differs at entry, at exit and at the end).
    without_adult = Q()
    for group in d.GROUPS:
        without_adult |= d.q_group_without_adult(scope, group)
    household_gaps = {
        # Entered or withdrawn in the period without an orientation date: the household
        # counts in no orientation figure (never received, admitted nor pending).
        "orientation_date": (d.q_household_entered(scope) | d.q_withdrawn_in(scope))
        & Q(orientation_date__isnull=True),
        "composition": without_adult,
        # Resources: none recorded (else the earliest record would be used).
        "resources": in_groups & d.q_without_resources(),
        "prior_situation": in_groups & Q(prior_situation=""),
        "orienting_structure": d.q_household_entered(scope) & Q(orienting_structure=""),
    }
    person_gaps = {"protection_status": _any_group_person(scope) & Q(protection_status="")}
    in_stock_at_end = d.units_in_stock_at(scope, scope.end).values("pk")
    unit_gaps = {"sector": Q(pk__in=in_stock_at_end, sector="")}
    return [
        ("household", d.households_in(scope), household_gaps),
        ("person", d.persons_in(scope), person_gaps),
        ("housingunit", d.units_in(scope), unit_gaps),
    ]


GAP_LISTS = {"household": _household_gaps, "person": _person_gaps, "housingunit": _unit_gaps}


def quality_gaps(scope: ReportScope) -> list[Gap]:
    """Every distinct (record, field) pair that the report counts under an ``inconnu`` key,
    households first, then persons, then units. One query per kind of gap."""
    found: list[Gap] = []
    for model, records, conditions in _gap_conditions(scope):
        for field, condition in conditions.items():
            found += GAP_LISTS[model](records.filter(condition), field)
    for model, field, path in FIGURE_GAPS:
        found += GAP_LISTS[model](figure_queryset(scope, path), field)
    fields = list(FIELD_LABELS)
    return sorted(found, key=lambda gap: fields.index(gap.field))


def gap_count(scope: ReportScope, figures: dict) -> int:
    """``len(quality_gaps(scope))`` for the report's ``figures``: the gaps found by a
    condition counted in one query per model, plus the ``inconnu`` of ``FIGURE_GAPS``."""

    def figure(path: str) -> int:
        value = figures
        for key in path.split("."):
            value = value[key]
        return value

    count = sum(figure(path) for _, _, path in FIGURE_GAPS)
    for _model, records, conditions in _gap_conditions(scope):
        row = records.order_by().aggregate(
            **{field: Count("pk", filter=condition) for field, condition in conditions.items()}
        )
        count += sum(row.values())
    return count


# --- Consistency checks ---------------------------------------------------------------------


def balance_checks(figures: dict) -> dict[str, bool]:
    """The two checks of the JSON form: present at start + entered - exited = present at end,
    for households and for persons."""

    def balances(counts: dict) -> bool:
        return (
            counts["present_at_start"] + counts["entered"] - counts["exited"]
            == counts["present_at_end"]
        )

    return {
        "households_balance": balances(figures["households"]),
        "persons_balance": balances(figures["persons"]),
    }


def _sum(breakdown: dict, cell: str | None = None) -> int:
    return sum(value[cell] if cell else value for value in breakdown.values())


GROUP_LABELS = {
    "present_at_end": "présents au dernier jour",
    "entries": "entrées",
    "exits": "sorties",
}


def consistency_checks(figures: dict) -> list[Check]:
    """Every check shown with the report: the balances of households and persons, and each
    breakdown of a group summing to the group's total."""
    checks: list[Check] = []

    def check(code: str, label: str, left: int, right: int) -> None:
        checks.append(Check(code, label, left == right, f"calculé {left}, attendu {right}"))

    for kind, label in (("households", "ménages"), ("persons", "personnes")):
        counts = figures[kind]
        check(
            f"{kind}_balance",
            f"{label.capitalize()} : présents au début + entrés - sortis = présents à la fin",
            counts["present_at_start"] + counts["entered"] - counts["exited"],
            counts["present_at_end"],
        )
    for group, group_label in GROUP_LABELS.items():
        data = figures[group]
        households, persons = data["households"], data["persons"]
        sums = [
            (
                "adults_children",
                "adultes + enfants = personnes",
                data["adults"] + data["children"],
                persons,
            ),
            (
                "typology",
                "typologie : somme des ménages",
                _sum(data["typology"], "households"),
                households,
            ),
            (
                "typology_children",
                "typologie : somme des enfants",
                _sum(data["typology"], "children"),
                data["children"],
            ),
            (
                "protection_status",
                "statuts : somme des personnes",
                _sum(data["protection_status"]),
                persons,
            ),
            (
                "age_brackets",
                "tranches d’âge : somme des personnes",
                _sum(data["age_brackets"]),
                persons,
            ),
            ("resources", "ressources : somme des ménages", _sum(data["resources"]), households),
            (
                "prior_situation",
                "situation avant l’entrée : somme des ménages",
                _sum(data["prior_situation"]),
                households,
            ),
        ]
        if "stay_length" in data:
            stay = {k: v for k, v in data["stay_length"].items() if k != "average_months"}
            sums.append(
                ("stay_length", "durée de séjour : somme des ménages", _sum(stay), households)
            )
        if group == "entries":
            sums.append(
                (
                    "orienting_structures",
                    "structures orienteuses : somme des ménages",
                    _sum(data["orienting_structures"]),
                    households,
                )
            )
        if group == "exits":
            sums += [
                (
                    "destinations",
                    "destinations : somme des ménages",
                    _sum(data["destinations"], "households"),
                    households,
                ),
                (
                    "destination_categories",
                    "catégories de destination : somme des ménages",
                    _sum(data["destination_categories"]),
                    households,
                ),
                (
                    "sinistralite",
                    "sinistralité : somme des ménages",
                    _sum(data["sinistralite"]),
                    households,
                ),
            ]
        for code, label, left, right in sums:
            check(f"{group}.{code}", f"{group_label.capitalize()} — {label}", left, right)
    accompanied = figures["persons"]["accompanied"]
    check(
        "nationalities",
        "Nationalités : somme des personnes accompagnées",
        _sum(figures["nationalities"]),
        accompanied,
    )
    check("sex", "Sexe : somme des personnes accompagnées", _sum(figures["sex"]), accompanied)
    housing = figures["housing"]
    check(
        "housing.vacant_occupied",
        "Logements vacants + occupés = logements au dernier jour",
        housing["vacant_units_at_end"] + housing["occupied_units_at_end"],
        housing["units_at_end"],
    )
    check(
        "housing.by_parc",
        "Parc : somme des logements au dernier jour",
        _sum(housing["by_parc_at_end"]),
        housing["units_at_end"],
    )
    check(
        "housing.by_sector",
        "Secteurs : somme des logements au dernier jour",
        _sum(housing["by_sector_at_end"]),
        housing["units_at_end"],
    )
    return checks
