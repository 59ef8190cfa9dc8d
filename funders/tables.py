"""The key figures tables the funder's pages show: one column per dispositif or territory,
one row per key figure (``funders.figures``), and which columns each institution gets.

The pages, the benchmark of ``make bench`` and the operators' comparison build them here;
views only render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from funders import figures as kf
from funders import review, scope
from funders.models import CURRENT_STATUSES, Submission
from iml import territories
from iml.models import Institution, InstitutionKind


class Column:
    """A column of the key figures table: one dispositif (its own figures, as its DDETS
    reads them) or a territory's sum; ``masked``: the « < 5 » rule of regional tables."""

    def __init__(self, label: str, base: kf.Base, *, masked: bool = False, url: str = "") -> None:
        self.label, self.url = label, url
        self.cells = [figure.shown(masked=masked) for figure in kf.key_figures(base)]


def key_rows(columns: list[Column]) -> list[dict[str, Any]]:
    """Rows of (group, label, a cell per column), in the order of ``figures.key_figures``."""
    rows, group = [], None
    for index, figure in enumerate(kf.key_figures({})):
        rows.append(
            {
                "group": kf.GROUPS[figure.group] if figure.group != group else None,
                "label": figure.label,
                "cells": [column.cells[index] for column in columns],
            }
        )
        group = figure.group
    return rows


def region_total(region: str, year: int) -> review.Area:
    """A région's sum, whoever asks: a sum of every report, never one operator's figures."""
    _, total = review.areas(review.current(Submission.objects.filter(region=region), year), region)
    return total


def territory_columns(institution: Institution, year: int) -> list[Column]:
    """What an institution's home page compares: a DDETS, each of its dispositifs beside its
    départements and its région; a DREETS, its départements and its région; the national
    level, the régions and France."""
    visible = review.current(scope.submissions(institution), year)
    if institution.kind == InstitutionKind.DDETS:
        columns = [
            Column(
                f"{s.organisation_name} — {s.dispositif_code}",
                review.base_of(s),
                url=reverse("funders:submission_detail", kwargs={"submission": s.public_id}),
            )
            for s in sorted(visible, key=lambda s: (s.organisation_name, s.dispositif_code))
        ]
        by_departement, _ = review.areas(visible, institution.region)
        columns += [
            Column(f"Département {by_departement[code].label}", by_departement[code].base)
            for code in institution.departements
        ]
        total = region_total(institution.region, year)
        return [*columns, Column(f"Région {total.label}", total.base)]
    if institution.kind == InstitutionKind.DREETS:
        by_departement, total = review.areas(visible, institution.region)
        return departement_columns(by_departement, total)
    by_region: dict[str, review.Area] = {}
    for submission in visible:
        area = by_region.setdefault(
            submission.region,
            review.Area(submission.region, territories.REGIONS.get(submission.region, "")),
        )
        area.add(submission)
    france = kf.summed(area.base for area in by_region.values())
    return [
        *(Column(area.label, area.base) for _, area in sorted(by_region.items())),
        Column("France", france),
    ]


def departement_columns(by_departement: dict[str, review.Area], total: review.Area) -> list[Column]:
    return [
        *(Column(f"Département {area.label}", area.base) for area in by_departement.values()),
        Column(f"Région {total.label}", total.base),
    ]


def dispositif_columns(rows: list[Submission]) -> list[Column]:
    """The regional review's columns per dispositif, masked (« < 5 »)."""
    return [
        Column(
            f"{s.organisation_name} — {s.dispositif_code} ({s.departement})",
            review.base_of(s),
            masked=True,
        )
        for s in rows
    ]


@dataclass(frozen=True)
class PreviousYear:
    """A submitted report's N-1: its label, its figures (the JSON form), its key figures."""

    label: str
    figures: dict[str, Any]
    column: Column


def previous_year(institution: Institution, submission: Submission) -> PreviousYear | None:
    """N-1 of ``submission``: the same dispositif's current report of the year before, if
    submitted (and visible to ``institution``); else N-1 as the operator's data gave it when
    this one was submitted (a first year on the platform); else nothing."""
    earlier: Submission | None = (
        scope.submissions(institution)
        .filter(
            dispositif_public_id=submission.dispositif_public_id,
            year=submission.year - 1,
            status__in=CURRENT_STATUSES,
        )
        .defer(*review.LIGHT_FIELDS)
        .order_by("-end", "-submitted_at")
        .first()
    )
    if earlier is not None:
        label = f"{earlier.year} (N-1, rapport transmis)"
        return PreviousYear(label, earlier.figures, Column(label, review.base_of(earlier)))
    stored = submission.previous
    if not stored.get("figures"):
        return None
    label = f"{submission.year - 1} (N-1, données de l’opérateur à la transmission)"
    base = kf.base_values(stored["figures"], stored["funder_figures"], submission.places)
    return PreviousYear(label, stored["figures"], Column(label, base))


def operator_region(organisation: Any, year: int) -> tuple[review.Area, bool]:
    """The région of an operator and whether its sum may be shown beside the operator's own
    figures: only when at least ``MIN_OPERATORS`` operators, two others at least, submitted
    (else the sum would be another operator's figures)."""
    region = territories.region_of(organisation.departement)
    total = region_total(region, year)
    others = total.operators - {organisation.slug}
    enough = len(total.operators) >= review.MIN_OPERATORS and (
        len(others) >= review.MIN_OPERATORS - 1
    )
    return total, enough
