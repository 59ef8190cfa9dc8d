"""The year's reports of a territory: the current one of each dispositif, the status of each
funded dispositif, and the review tables (per dispositif, per département, for the région) —
the de-facto regional review the DREETS and the Fapil used to rebuild by survey.

Only submitted reports feed it (``Submission``: counts and amounts), the current one of each
dispositif for the year (submitted or received, not returned nor replaced); the year of a
report is the year its period ends.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from funders import figures as kf
from funders.models import CURRENT_STATUSES, FundedDispositif, Submission, SubmissionStatus
from iml import territories

NOT_SUBMITTED = "non_transmis"
STATUS_LABELS = {NOT_SUBMITTED: "non transmis", **dict(SubmissionStatus.choices)}
# Below this many operators, a territory's value would show one operator's figures to
# another (the operators' benchmark says so instead of showing it).
MIN_OPERATORS = 3
LIGHT_FIELDS = ("pdf", "xlsx", "narrative")


def latest(submissions: QuerySet[Submission], year: int) -> dict[Any, Submission]:
    """The year's report of each dispositif, by dispositif: its latest submission for the
    year (the latest period ending that year, then the latest submitted), whatever its status
    but replaced — a returned one included, which gives the year's status."""
    rows = (
        submissions.filter(year=year)
        .exclude(status=SubmissionStatus.SUPERSEDED)
        .defer(*LIGHT_FIELDS)
        .order_by("dispositif_public_id", "-end", "-submitted_at")
        .distinct("dispositif_public_id")
    )
    return {row.dispositif_public_id: row for row in rows}


def current(submissions: QuerySet[Submission], year: int) -> list[Submission]:
    """The year's report of each dispositif when it counts: submitted or received (a
    returned one does not, until its corrected version comes)."""
    return [row for row in latest(submissions, year).values() if row.status in CURRENT_STATUSES]


def base_of(submission: Submission) -> kf.Base:
    return kf.base_values(submission.figures, submission.funder_figures, submission.places)


@dataclass
class Area:
    """A territory's sum: its dispositifs' bases added up."""

    code: str
    label: str
    base: kf.Base = field(default_factory=dict)
    operators: set[str] = field(default_factory=set)

    def add(self, submission: Submission) -> None:
        self.base = kf.summed([self.base, base_of(submission)])
        self.operators.add(submission.organisation_slug)

    @property
    def figures(self) -> list[kf.Figure]:
        return kf.key_figures(self.base)

    @property
    def dispositifs(self) -> int:
        return int(self.base.get("dispositifs", 0))


def areas(submissions: Iterable[Submission], region: str) -> tuple[dict[str, Area], Area]:
    """Per département of ``region`` (every one, empty or not) and the région's total."""
    by_departement = {
        code: Area(code, territories.departement_label(code))
        for code in territories.departements_of(region)
    }
    total = Area(region, territories.REGIONS.get(region, region))
    for submission in submissions:
        total.add(submission)
        if submission.departement in by_departement:
            by_departement[submission.departement].add(submission)
    return by_departement, total


@dataclass
class Status:
    funded: FundedDispositif
    submission: Submission | None

    @property
    def code(self) -> str:
        return self.submission.status if self.submission else NOT_SUBMITTED

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.code]


def statuses(
    funded: QuerySet[FundedDispositif], submissions: QuerySet[Submission], year: int
) -> list[Status]:
    """Each active funded dispositif of the territory with its latest report of the year."""
    by_dispositif = latest(submissions, year)
    return [
        Status(row, by_dispositif.get(row.dispositif_public_id))
        for row in funded.filter(is_active=True).order_by(
            "departement", "organisation_name", "code"
        )
    ]


@dataclass
class Review:
    region: str
    year: int
    departements: dict[str, Area]
    total: Area
    rows: list[Submission]
    missing: list[Status]

    @property
    def region_name(self) -> str:
        return territories.REGIONS.get(self.region, self.region)


def regional_review(region: str, year: int) -> Review:
    """The région's review for ``year``: every figure from the submitted reports."""
    submissions = Submission.objects.filter(region=region)
    rows = sorted(
        current(submissions, year),
        key=lambda s: (s.departement, s.organisation_name, s.dispositif_code),
    )
    by_departement, total = areas(rows, region)
    missing = [
        status
        for status in statuses(FundedDispositif.objects.filter(region=region), submissions, year)
        if status.code not in CURRENT_STATUSES
    ]
    return Review(region, year, by_departement, total, rows, missing)


def as_json(review: Review) -> dict[str, Any]:
    """The command's form (``regional_review --format json``): the région's and each
    département's values, and per dispositif its submitted figures, keyed by organisation
    slug and dispositif code (raw: this is the DREETS's own data, for its data team)."""

    def area(value: Area) -> dict[str, Any]:
        return {
            "dispositifs": value.dispositifs,
            "operators": len(value.operators),
            **kf.as_json(value.figures),
        }

    dispositifs: dict[str, dict[str, Any]] = {}
    for submission in review.rows:
        dispositifs.setdefault(submission.organisation_slug, {})[submission.dispositif_code] = {
            "departement": submission.departement,
            "period": {"start": submission.start.isoformat(), "end": submission.end.isoformat()},
            "status": submission.status,
            "version": submission.number,
            "submitted_at": submission.submitted_at.isoformat(),
            "places": submission.places,
            "figures": submission.figures,
            "funder_figures": submission.funder_figures,
            "key_figures": kf.as_json(kf.key_figures(base_of(submission))),
        }
    return {
        "region": review.region,
        "region_name": review.region_name,
        "year": review.year,
        "aggregates": {
            "region": area(review.total),
            "departements": {code: area(value) for code, value in review.departements.items()},
        },
        "dispositifs": dispositifs,
        "not_submitted": [
            {
                "organisation": status.funded.organisation_slug,
                "dispositif": status.funded.code,
                "departement": status.funded.departement,
                "status": status.code,
            }
            for status in review.missing
        ],
    }


def as_xlsx(review: Review) -> bytes:
    """The review as a workbook: the territories' values, the dispositifs (« < 5 » rule),
    the dispositifs not yet submitted."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    sheet.title = "Territoires"
    labels = [figure.label for figure in kf.key_figures({})]
    sheet.append(["Territoire", "Dispositifs", "Opérateurs", *labels])
    for value in [*review.departements.values(), review.total]:
        sheet.append(
            [
                value.label if value is not review.total else f"Région {value.label}",
                value.dispositifs,
                len(value.operators),
                *(figure.cell() for figure in value.figures),
            ]
        )
    rows = book.create_sheet("Dispositifs")
    rows.append(["Département", "Opérateur", "Dispositif", "État", *labels])
    for submission in review.rows:
        rows.append(
            [
                submission.departement,
                submission.organisation_name,
                f"{submission.dispositif_name} ({submission.dispositif_code})",
                submission.get_status_display(),
                *(f.cell(masked=True) for f in kf.key_figures(base_of(submission))),
            ]
        )
    missing = book.create_sheet("Non transmis")
    missing.append(["Département", "Opérateur", "Dispositif", "État"])
    for status in review.missing:
        missing.append(
            [
                status.funded.departement,
                status.funded.organisation_name,
                f"{status.funded.name} ({status.funded.code})",
                status.label,
            ]
        )
    for each in book.worksheets:
        for cell in each[1]:
            cell.font = bold
        each.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
