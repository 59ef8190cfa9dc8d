"""The funder's pages (``/financeur/``): its dispositifs and their year's report, each
submitted report, the review of a région, the log of what its agents opened.

Every view is ``agent_required`` and reads through ``funders.scope`` from the agent's
institution: another territory's report is a 404, whatever the identifier in the URL. Every
view and export is logged (``funders.access.record``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from funders import figures as kf
from funders import review, scope, services
from funders.access import agent_required, record
from funders.models import CURRENT_STATUSES, FunderAccess, FunderAccessAction, Submission
from iml import territories
from iml.downloads import attachment
from iml.models import DispositifCategory, Institution, InstitutionKind, Zone
from reporting import outputs

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LOG_PAGE_SIZE = 50


def year_of(request: HttpRequest, default: int) -> int:
    try:
        year = int(request.GET.get("annee", default))
    except (TypeError, ValueError):
        return default
    return year if 2000 <= year <= timezone.localdate().year + 1 else default


def _default_year(submissions: Any) -> int:
    latest = submissions.order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year - 1


def years_around(default: int) -> list[int]:
    this_year = timezone.localdate().year
    return sorted({*range(this_year - 5, this_year + 1), default}, reverse=True)


class Column:
    """A column of the key figures table: one dispositif (its own figures, as its DDETS
    reads them) or a territory's sum."""

    def __init__(self, label: str, base: kf.Base, *, masked: bool = False, url: str = "") -> None:
        self.label, self.url = label, url
        self.cells = [figure.shown(masked=masked) for figure in kf.key_figures(base)]


def key_rows(columns: list[Column]) -> list[dict[str, Any]]:
    """Rows of (group, label, a cell per column), in the order of ``figures.key_figures``."""
    labels = kf.key_figures({})
    rows, group = [], None
    for index, figure in enumerate(labels):
        rows.append(
            {
                "group": kf.GROUPS[figure.group] if figure.group != group else None,
                "label": figure.label,
                "cells": [column.cells[index] for column in columns],
            }
        )
        group = figure.group
    return rows


def _region_area(region: str, year: int) -> review.Area:
    """A région's sum, whoever asks: a sum of every report, never one operator's figures."""
    _, total = review.areas(review.current(Submission.objects.filter(region=region), year), region)
    return total


def _columns(institution: Institution, year: int) -> list[Column]:
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
        total = _region_area(institution.region, year)
        return [*columns, Column(f"Région {total.label}", total.base)]
    if institution.kind == InstitutionKind.DREETS:
        by_departement, total = review.areas(visible, institution.region)
        return [
            *(Column(f"Département {area.label}", area.base) for area in by_departement.values()),
            Column(f"Région {total.label}", total.base),
        ]
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


@agent_required
def home(request: HttpRequest) -> HttpResponse:
    institution: Institution = request.institution  # type: ignore[attr-defined]
    submissions = scope.submissions(institution)
    year = year_of(request, _default_year(submissions))
    statuses = review.statuses(scope.funded(institution), submissions, year)
    columns = _columns(institution, year)
    record(request, object_type="tableau")
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.code] = counts.get(status.code, 0) + 1
    return render(
        request,
        "funders/home.html",
        {
            "institution": institution,
            "year": year,
            "years": years_around(year),
            "statuses": statuses,
            "counts": [(review.STATUS_LABELS[code], n) for code, n in sorted(counts.items())],
            "columns": columns,
            "rows": key_rows(columns),
            "can_review_region": institution.kind != InstitutionKind.DDETS,
        },
    )


def _visible(request: HttpRequest, submission: uuid.UUID) -> Submission:
    institution: Institution = request.institution  # type: ignore[attr-defined]
    return get_object_or_404(scope.submissions(institution), public_id=submission)


def _document_context(submission: Submission) -> dict[str, Any]:
    return {
        "organisation": submission.organisation_name,
        "dispositif": submission.dispositif_name,
        "dispositif_code": submission.dispositif_code,
        "category": dict(DispositifCategory.choices).get(submission.category, ""),
        "zone": dict(Zone.choices).get(submission.zone, ""),
        "funder": f"{submission.institution.name} — BOP 177",
        "places": submission.places,
        "generated_at": timezone.localtime(submission.submitted_at).date(),
    }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("recu", "Accuser réception"), ("renvoye", "Renvoyer pour correction")],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label="Commentaire à l’opérateur",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Obligatoire pour renvoyer le rapport : ce que l’opérateur doit corriger.",
    )


def previous_of(institution: Institution, submission: Submission) -> Submission | None:
    """N-1: the same dispositif's current report of the year before, if submitted."""
    found: Submission | None = (
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
    return found


@agent_required
def submission_detail(request: HttpRequest, submission: uuid.UUID) -> HttpResponse:
    institution: Institution = request.institution  # type: ignore[attr-defined]
    shown = _visible(request, submission)
    previous = previous_of(institution, shown)
    columns = [Column(f"{shown.year}", review.base_of(shown))]
    # N-1: the report submitted for the year before, else N-1 as the operator's data gave it
    # when this one was submitted (a first year on the platform).
    previous_figures: dict[str, Any] | None = None
    if previous is not None:
        previous_figures = previous.figures
        previous_label = f"{previous.year} (N-1, rapport transmis)"
        columns.append(Column(previous_label, review.base_of(previous)))
    elif shown.previous.get("figures"):
        previous_figures = shown.previous["figures"]
        previous_label = f"{shown.year - 1} (N-1, données de l’opérateur à la transmission)"
        base = kf.base_values(previous_figures, shown.previous["funder_figures"], shown.places)
        columns.append(Column(previous_label, base))
    sections = outputs.document_sections(
        shown.figures, narrative=shown.narrative, context=_document_context(shown)
    )
    if previous_figures is not None:
        outputs.attach_previous(
            sections,
            outputs.document_sections(previous_figures, with_charts=False, with_checks=False),
        )
    versions = (
        scope.submissions(institution)
        .filter(dispositif_public_id=shown.dispositif_public_id, start=shown.start, end=shown.end)
        .defer(*review.LIGHT_FIELDS, "figures", "funder_figures")
        .order_by("-number")
    )
    record(request, object_type="rapport", object_id=shown.public_id)
    return render(
        request,
        "funders/submission.html",
        {
            "submission": shown,
            "has_previous": previous_figures is not None,
            "columns": columns,
            "rows": key_rows(columns),
            "sections_html": render_to_string(
                "reporting/includes/sections.html",
                {"sections": [s for s in sections if s.key != "qualite"], "no_links": True},
            ),
            "versions": versions,
            "can_review": scope.can_review(institution, shown),
            "review_form": ReviewForm(),
        },
    )


def _document(request: HttpRequest, submission: uuid.UUID, fmt: str) -> HttpResponse:
    shown = _visible(request, submission)
    record(
        request, object_type=f"rapport-{fmt}", object_id=shown.public_id,
        action=FunderAccessAction.EXPORT,
    )  # fmt: skip
    response = HttpResponse(bytes(getattr(shown, fmt)), content_type=CONTENT_TYPES[fmt])
    return attachment(
        response,
        "rapport",
        shown.organisation_slug,
        shown.dispositif_code,
        shown.start.strftime("%Y%m%d"),
        f"v{shown.number}",
        extension=fmt,
    )


@agent_required
def submission_pdf(request: HttpRequest, submission: uuid.UUID) -> HttpResponse:
    return _document(request, submission, "pdf")


@agent_required
def submission_xlsx(request: HttpRequest, submission: uuid.UUID) -> HttpResponse:
    return _document(request, submission, "xlsx")


@require_POST
@agent_required
def submission_review(request: HttpRequest, submission: uuid.UUID) -> HttpResponse:
    """The DDETS acknowledges the report, or returns it with what to correct."""
    institution: Institution = request.institution  # type: ignore[attr-defined]
    shown = _visible(request, submission)
    if not scope.can_review(institution, shown):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "recu":
                services.acknowledge(
                    submission=shown, by=request.user, base_url=request.build_absolute_uri("/")
                )
                messages.success(request, "Réception du rapport confirmée à l’opérateur.")
            else:
                services.send_back(
                    submission=shown,
                    by=request.user,
                    comment=form.cleaned_data["comment"],
                    base_url=request.build_absolute_uri("/"),
                )
                messages.success(request, "Rapport renvoyé à l’opérateur avec votre commentaire.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, "Choix invalide : rien n’a été enregistré.")
    return redirect("funders:submission_detail", submission=shown.public_id)


@agent_required
def regional(request: HttpRequest) -> HttpResponse:
    """The regional review: DREETS (its région) and the national level (any région)."""
    institution: Institution = request.institution  # type: ignore[attr-defined]
    allowed = scope.regions(institution)
    if institution.kind == InstitutionKind.DDETS or not allowed:
        raise PermissionDenied
    region = request.GET.get("region", "")
    region = region if region in allowed else allowed[0]
    submissions = Submission.objects.filter(region=region)
    year = year_of(request, _default_year(submissions))
    result = review.regional_review(region, year)
    if request.GET.get("format") == "xlsx":
        record(request, object_type="revue-regionale", action=FunderAccessAction.EXPORT)
        response = HttpResponse(review.as_xlsx(result), content_type=CONTENT_TYPES["xlsx"])
        return attachment(response, "revue-regionale", region, year, extension="xlsx")
    record(request, object_type="revue-regionale")
    columns = [
        *(Column(f"Département {area.label}", area.base) for area in result.departements.values()),
        Column(f"Région {result.total.label}", result.total.base),
    ]
    dispositif_columns = [
        Column(f"{s.organisation_name} — {s.dispositif_code} ({s.departement})",
               review.base_of(s), masked=True)
        for s in result.rows
    ]  # fmt: skip
    return render(
        request,
        "funders/regional.html",
        {
            "institution": institution,
            "review": result,
            "region": region,
            "regions": [(code, territories.REGIONS[code]) for code in allowed],
            "year": year,
            "years": years_around(year),
            "columns": columns,
            "rows": key_rows(columns),
            "dispositif_columns": dispositif_columns,
            "dispositif_rows": key_rows(dispositif_columns),
        },
    )


@agent_required
def access_log(request: HttpRequest) -> HttpResponse:
    """What the institution's agents opened: the State reads operators' reports under this
    log."""
    institution: Institution = request.institution  # type: ignore[attr-defined]
    entries = (
        FunderAccess.objects.filter(institution=institution)
        .select_related("user")
        .order_by("-at", "-pk")
    )
    # Logged first: the page then lists its own opening, and its count stays right.
    record(request, object_type="journal")
    page = Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "funders/access_log.html", {"page": page, "institution": institution})
