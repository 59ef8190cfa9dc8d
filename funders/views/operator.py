"""The operator's side of the submission (``/transmission/``, heads of service): its
dispositifs' DDETS, the reports submitted and what the DDETS said, the ready versions to
submit, and its figures beside the anonymous regional values.

The funder's tables have no row-level security: every read here filters on the current
organisation (``services.submissions_of``) — the isolation sweep checks it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from funders import review, services, tables
from funders.models import FunderAccess, FunderAccessAction
from funders.views.funder import default_year, year_of, years_around
from iml.models import Dispositif, Role
from iml.permissions import member_required
from reporting.models import ReportStatus, ReportVersion

SUBMIT_ROLES = (Role.HEAD,)
READY_SHOWN = 20


@member_required(SUBMIT_ROLES)
def submissions_page(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    submissions = list(
        services.submissions_of(organisation.pk)
        .select_related("institution")
        .defer(*review.LIGHT_FIELDS, "figures", "funder_figures")
        .order_by("dispositif_code", "-end", "-number")
    )
    # When the DDETS first opened each one (its access log, read for the operator's own).
    # (Its DDETS's: a DREETS's or the national level's reading is not the DDETS's.)
    opened = dict(
        FunderAccess.objects.filter(
            object_id__in=[s.public_id for s in submissions],
            institution_id__in={s.institution_id for s in submissions},
            action=FunderAccessAction.VIEW,
        )
        .values_list("object_id")
        .annotate(first=Min("at"))
        .values_list("object_id", "first")
    )
    submitted_versions = {s.source_version for s in submissions}
    ready = [
        version
        for version in ReportVersion.objects.filter(status=ReportStatus.READY)
        .select_related("dispositif", "dispositif__ddets", "created_by")
        .defer("figures", "narrative", "pdf", "xlsx")
        .order_by("-created_at")[:READY_SHOWN]
        if version.public_id not in submitted_versions
    ]
    dispositifs = Dispositif.objects.filter(is_active=True).select_related("ddets")
    return render(
        request,
        "funders/operator_submissions.html",
        {
            "submissions": [(s, opened.get(s.public_id)) for s in submissions],
            "ready": ready,
            "dispositifs": dispositifs,
        },
    )


@require_POST
@member_required(SUBMIT_ROLES)
def submit_version(request: HttpRequest, version: uuid.UUID) -> HttpResponse:
    """Submit a ready version to the dispositif's DDETS (posted twice: the second is refused
    — the version is already submitted — and nothing is written again)."""
    chosen = get_object_or_404(
        ReportVersion.objects.select_related("dispositif"), public_id=version
    )
    try:
        submission = services.submit(
            version=chosen, by=request.user, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Rapport transmis à {submission.institution.name} (version {submission.number}).",
        )
    return redirect("funders:operator_submissions")


@member_required(SUBMIT_ROLES)
def benchmark(request: HttpRequest) -> HttpResponse:
    """The operator's figures (its current submitted reports of the year) beside its région's
    (every operator's submitted reports, summed: anonymous). Shown only when the région has
    enough operators for its sum not to be one operator's figures."""
    organisation = request.organisation  # type: ignore[attr-defined]
    own_submissions = services.submissions_of(organisation.pk)
    year = year_of(request, default_year(own_submissions))
    own = sorted(review.current(own_submissions, year), key=lambda s: s.dispositif_code)
    total, enough = tables.operator_region(organisation, year)
    columns = [
        tables.Column(f"{s.dispositif_name} ({s.dispositif_code})", review.base_of(s)) for s in own
    ]
    if enough:
        label = f"Région {total.label} ({len(total.operators)} opérateurs)"
        columns.append(tables.Column(label, total.base))
    context: dict[str, Any] = {
        "year": year,
        "years": years_around(year),
        "own": own,
        "region_name": total.label,
        "enough": enough,
        "min_operators": review.MIN_OPERATORS,
        "columns": columns,
        "rows": tables.key_rows(columns) if columns else [],
    }
    return render(request, "funders/benchmark.html", context)
