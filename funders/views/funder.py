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
from django.utils import timezone
from django.views.decorators.http import require_POST

from funders import review, scope, services, tables
from funders.access import agent_required, record
from funders.models import FunderAccess, FunderAccessAction, Submission
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


def default_year(submissions: Any) -> int:
    """The latest year with a report among ``submissions``, else last year."""
    latest = submissions.order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year - 1


def years_around(default: int) -> list[int]:
    this_year = timezone.localdate().year
    return sorted({*range(this_year - 5, this_year + 1), default}, reverse=True)


@agent_required
def home(request: HttpRequest) -> HttpResponse:
    institution: Institution = request.institution  # type: ignore[attr-defined]
    submissions = scope.submissions(institution)
    year = year_of(request, default_year(submissions))
    statuses = review.statuses(scope.funded(institution), submissions, year)
    columns = tables.territory_columns(institution, year)
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
            "rows": tables.key_rows(columns),
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


@agent_required
def submission_detail(request: HttpRequest, submission: uuid.UUID) -> HttpResponse:
    institution: Institution = request.institution  # type: ignore[attr-defined]
    shown = _visible(request, submission)
    previous = tables.previous_year(institution, shown)
    columns = [tables.Column(f"{shown.year}", review.base_of(shown))]
    sections = outputs.document_sections(
        shown.figures, narrative=shown.narrative, context=_document_context(shown)
    )
    if previous is not None:
        columns.append(previous.column)
        outputs.attach_previous(
            sections,
            outputs.document_sections(previous.figures, with_charts=False, with_checks=False),
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
            "has_previous": previous is not None,
            "columns": columns,
            "rows": tables.key_rows(columns),
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
    year = year_of(request, default_year(submissions))
    result = review.regional_review(region, year)
    if request.GET.get("format") == "xlsx":
        record(request, object_type="revue-regionale", action=FunderAccessAction.EXPORT)
        response = HttpResponse(review.as_xlsx(result), content_type=CONTENT_TYPES["xlsx"])
        return attachment(response, "revue-regionale", region, year, extension="xlsx")
    record(request, object_type="revue-regionale")
    columns = tables.departement_columns(result.departements, result.total)
    dispositif_columns = tables.dispositif_columns(result.rows)
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
            "rows": tables.key_rows(columns),
            "dispositif_columns": dispositif_columns,
            "dispositif_rows": tables.key_rows(dispositif_columns),
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
