"""The annual report page: data quality first, the narrative, every section computed live with
the previous period beside it and drill-down links, then generation and the versions.

Heads of service only (``REPORT_ROLES``). Versions are read through the organisation-scoped
manager by public identifier: another organisation's version is a 404.
"""

from __future__ import annotations

import datetime
import re
import uuid
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import capfirst

from households.models import Household, Person
from housing.models import HousingUnit
from iml import dataversion
from iml.downloads import attachment
from iml.forms import add_service_error
from iml.fragments import deferred
from iml.models import Dispositif, Role
from iml.permissions import member_required
from iml.scoping import get_current_organisation_id
from reporting import outputs, quality, services
from reporting.definitions import ReportScope
from reporting.drilldown import households_for
from reporting.forms import NarrativeForm, ReportSelectionForm, report_dispositifs
from reporting.models import ReportVersion
from reporting.money_drilldown import MONEY_FIGURES, money_rows
from reporting.rehousing_section import rehousing_figures

REPORT_ROLES = (Role.HEAD,)
VERSIONS_PAGE_SIZE = 10
DRILLDOWN_PAGE_SIZE = 25
GAPS_SHOWN = 100
# Sections the page shows elsewhere: the narrative is a form, the quality panel comes first.
PAGE_SKIPS = ("recit", "qualite")
NARRATIVE_NUMBER = 2
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


# --- Selection (dispositif and period) ------------------------------------------------------


def _selection(query) -> ReportSelectionForm:
    """The selection form bound to the query string, completed with the defaults: the first
    active dispositif, its last complete period."""
    data = {name: (query.get(name) or "").strip() for name in ("dispositif", "du", "au")}
    # The defaults read the dispositifs: cached under the data version, like the page.
    data = dataversion.cached(
        get_current_organisation_id(), "report-selection", partial(_completed, data),
        *data.values(), timezone.localdate(),
    )  # fmt: skip
    return ReportSelectionForm(data)


def _completed(data: dict[str, str]) -> dict[str, str]:
    data = dict(data)
    if not data["dispositif"]:
        default = report_dispositifs().filter(is_active=True).first()
        if default is not None:
            data["dispositif"] = str(default.public_id)
    if data["dispositif"] and not (data["du"] and data["au"]):
        dispositif = _dispositif_or_none(data["dispositif"])
        if dispositif is not None:
            start, end = services.default_period(dispositif, timezone.localdate())
            data["du"] = data["du"] or start.isoformat()
            data["au"] = data["au"] or end.isoformat()
    return data


def _dispositif_or_none(public_id: str) -> Dispositif | None:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    return Dispositif.objects.filter(public_id=key).first()


def _query(dispositif: Dispositif, start, end) -> str:
    return urlencode(
        {"dispositif": dispositif.public_id, "du": start.isoformat(), "au": end.isoformat()}
    )


def _page_url(dispositif: Dispositif, start, end, anchor: str = "") -> str:
    url = f"{reverse('reporting:report_page')}?{_query(dispositif, start, end)}"
    return f"{url}#{anchor}" if anchor else url


# --- The page -------------------------------------------------------------------------------


def quality_panel(dispositif: Dispositif, start, end, figures: dict) -> dict:
    """The gaps (with a link to fix each) and the consistency checks of
    ``reporting.quality``."""
    # Like the figures, cached until the organisation's next write.
    gaps = dataversion.cached(
        dispositif.organisation_id,
        "report-gaps",
        lambda: quality.quality_gaps(ReportScope(dispositif=dispositif, start=start, end=end)),
        dispositif.pk,
        start,
        end,
        timezone.localdate(),
    )
    checks = quality.consistency_checks(figures)
    return {
        "gaps": gaps[:GAPS_SHOWN],
        "gaps_count": len(gaps),
        "gaps_hidden": max(0, len(gaps) - GAPS_SHOWN),
        "checks": checks,
        "failed": [check for check in checks if not check.ok],
    }


def _versions(dispositif: Dispositif) -> QuerySet[ReportVersion]:
    return (
        ReportVersion.objects.filter(dispositif=dispositif)
        .select_related("created_by")
        .defer("figures", "narrative", "pdf", "xlsx")
        .order_by("-created_at", "-pk")
    )


def _chosen(
    request: HttpRequest, selection: ReportSelectionForm
) -> tuple[Dispositif, datetime.date, datetime.date] | None:
    """The dispositif and period a valid selection names, else None. A page read (GET)
    reads them from the cache under the data version: the form's check is a query."""

    def check() -> tuple[Dispositif, datetime.date, datetime.date] | None:
        if not selection.is_valid():
            return None
        data = selection.cleaned_data
        return data["dispositif"], data["du"], data["au"]

    if request.method != "GET":
        return check()
    return dataversion.cached(
        get_current_organisation_id(), "report-chosen", check,
        *(selection.data.get(name, "") for name in ("dispositif", "du", "au")),
        timezone.localdate(),
    )  # fmt: skip


def _render_page(
    request: HttpRequest,
    selection: ReportSelectionForm,
    *,
    narrative_form: NarrativeForm | None = None,
) -> HttpResponse:
    # What the page's block shows is read only when the block is not in the cache
    # (``iml.fragments``): a hit costs the selection's check and nothing else.
    context: dict = {
        "selection": selection,
        "has_dispositif": deferred(lambda: report_dispositifs().exists()),
    }
    chosen = _chosen(request, selection)
    if chosen is None:
        return render(request, "reporting/report_page.html", context)
    dispositif, start, end = chosen
    figures = deferred(services.figures_for, dispositif, start, end)
    previous_start, previous_end = services.previous_period(start, end)
    narrative = deferred(services.narrative_get, dispositif, start, end)
    base_query = _query(dispositif, start, end)

    def sections_html() -> tuple[str, str]:
        """The sections before the narrative (« 2. Présentation par le service », a form on
        the page) and those after it: the page numbers them as the PDF does."""
        previous = services.figures_for(dispositif, previous_start, previous_end)
        sections = outputs.document_sections(
            figures(),
            narrative=services.narrative_snapshot(narrative()),
            context=services.document_context(dispositif),
            rehousing=rehousing_figures(ReportScope(dispositif, start, end)),
        )
        outputs.attach_previous(
            sections, outputs.document_sections(previous, with_charts=False, with_checks=False)
        )
        shown = [s for s in sections if s.key not in PAGE_SKIPS]
        return tuple(  # type: ignore[return-value]
            render_to_string(
                "reporting/includes/sections.html", {"sections": part, "base_query": base_query}
            )
            for part in (
                [s for s in shown if s.number < NARRATIVE_NUMBER],
                [s for s in shown if s.number > NARRATIVE_NUMBER],
            )
        )

    def initial_narrative_form() -> NarrativeForm:
        initial = {"dispositif": dispositif.public_id, "du": start, "au": end}
        if (saved := narrative()) is not None:
            initial.update(services.narrative_snapshot(saved))
        return NarrativeForm(initial=initial)

    context.update(
        {
            "dispositif": dispositif,
            "start": start,
            "end": end,
            "previous_start": previous_start,
            "previous_end": previous_end,
            # Laid out once per data version: hundreds of cells, the page's main cost.
            "sections_html": deferred(
                dataversion.cached,
                dispositif.organisation_id,
                "report-sections-parts",
                sections_html,
                services.FIGURES_CODE,
                dispositif.pk,
                start,
                end,
                timezone.localdate(),
            ),
            "quality": deferred(lambda: quality_panel(dispositif, start, end, figures())),
            "gaps_sentence": deferred(
                lambda: outputs.gaps_sentence((figures().get("quality") or {}).get("gaps"))
            ),
            "narrative": narrative,
            "narrative_form": narrative_form or deferred(initial_narrative_form),
            "page": deferred(
                lambda: Paginator(_versions(dispositif), VERSIONS_PAGE_SIZE).get_page(
                    request.GET.get("page")
                )
            ),
            "base_query": base_query,
        }
    )
    return render(request, "reporting/report_page.html", context)


@member_required(REPORT_ROLES)
def report_page(request: HttpRequest) -> HttpResponse:
    return _render_page(request, _selection(request.GET))


@member_required(REPORT_ROLES)
def narrative_save(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = NarrativeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.narrative_save(
                dispositif=data["dispositif"],
                start=data["du"],
                end=data["au"],
                by=request.user,
                **form.narrative_values(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Récit du rapport enregistré.")
            return redirect(_page_url(data["dispositif"], data["du"], data["au"], "recit"))
    return _render_page(request, ReportSelectionForm(request.POST), narrative_form=form)


@member_required(REPORT_ROLES)
def report_generate(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReportSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choisissez un dispositif et une période valides pour générer le rapport."
        )
        return redirect("reporting:report_page")
    data = form.cleaned_data
    try:
        services.version_request(
            dispositif=data["dispositif"], start=data["du"], end=data["au"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            "Génération du rapport lancée : suivez son avancement dans la liste des versions.",
        )
    return redirect(_page_url(data["dispositif"], data["du"], data["au"], "versions"))


# --- Versions -------------------------------------------------------------------------------


def _version(public_id) -> ReportVersion:
    return get_object_or_404(
        ReportVersion.objects.select_related("dispositif", "created_by"), public_id=public_id
    )


def _download(request: HttpRequest, version: str, fmt: str) -> HttpResponse:
    obj = _version(version)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if not obj.is_ready:
        raise Http404("Ce rapport n’est pas prêt.")
    if fmt == "json":
        content = outputs.render(obj.figures, "json")
    else:
        content = bytes(getattr(obj, fmt) or b"")
    if not content:
        raise Http404("Ce rapport n’a pas de fichier à ce format.")
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = f"rapport-{obj.dispositif.code}-{obj.start:%Y%m%d}-{obj.end:%Y%m%d}"
    stamp = timezone.localtime(obj.finished_at or obj.created_at)
    attachment(response, name, f"{stamp:%Y%m%d-%H%M}", extension=fmt)
    return response


@member_required(REPORT_ROLES)
def version_pdf(request: HttpRequest, version: str) -> HttpResponse:
    return _download(request, version, "pdf")


@member_required(REPORT_ROLES)
def version_xlsx(request: HttpRequest, version: str) -> HttpResponse:
    return _download(request, version, "xlsx")


@member_required(REPORT_ROLES)
def version_json(request: HttpRequest, version: str) -> HttpResponse:
    return _download(request, version, "json")


@member_required(REPORT_ROLES)
def version_progress(request: HttpRequest, version: str) -> HttpResponse:
    """The htmx fragment of a version's state: it polls itself every second while the
    version is waiting or being built, and shows the download links once it is ready."""
    obj = get_object_or_404(
        ReportVersion.objects.defer("figures", "narrative", "pdf", "xlsx"), public_id=version
    )
    return render(
        request,
        "reporting/includes/version_progress.html",
        {"version": obj},
    )


# --- Drill-down -----------------------------------------------------------------------------

PATH = re.compile(r"^[^\x00-\x1f\x7f]{1,300}$")


def _item(obj) -> dict:
    """One line of the drill-down list: what it is, where to see it, a detail."""
    if isinstance(obj, Household):
        details = []
        if obj.entry_date:
            details.append(f"entré le {obj.entry_date:%d/%m/%Y}")
        if obj.exit_date:
            details.append(f"sorti le {obj.exit_date:%d/%m/%Y}")
        return {
            "label": obj.reference,
            "url": obj.get_absolute_url(),
            "details": ", ".join(details) or obj.get_status_display(),
        }
    if isinstance(obj, Person):
        return {
            "label": f"{obj.first_name} {obj.last_name}",
            "url": reverse(
                "households:household_detail", kwargs={"household": obj.household.public_id}
            ),
            "details": f"ménage {obj.household.reference}",
        }
    if isinstance(obj, HousingUnit):
        return {
            "label": obj.reference,
            "url": reverse("housing:unit_detail", kwargs={"unit": obj.public_id}),
            "details": f"{obj.address}, {obj.city}",
        }
    return {"label": str(obj), "url": None, "details": ""}


def _money_item(obj) -> dict:
    """One line of a money figure's list: an entry (date, household, nature, amount) or a
    household in debt (its balance)."""
    if isinstance(obj, Household):
        return {"label": obj.reference, "url": obj.get_absolute_url(),
                "details": "solde à la fin de la période", "amount": obj.balance}  # fmt: skip
    household = obj.contract.household
    nature = obj.get_kind_display()
    if obj.reverses is not None:
        nature = f"annulation de l’écriture du {obj.reverses.date:%d/%m/%Y}"
    elif obj.period:
        nature = f"{nature} {date_format(obj.period, 'F Y')}"
    return {
        "label": f"{obj.date:%d/%m/%Y} — {household.reference}",
        "url": reverse("tenancy:contract_detail", args=[obj.contract.public_id]),
        "details": f"{capfirst(nature)} (contrat {obj.contract.reference})",
        "amount": obj.counted,
    }


def _ordered(items):
    if isinstance(items, QuerySet):
        if items.model is Person:
            items = items.select_related("household")
        if not items.ordered:
            items = items.order_by("pk")
    return items


@member_required(REPORT_ROLES)
def drilldown(request: HttpRequest) -> HttpResponse:
    """The households (or persons, or units) behind one figure of the report page."""
    selection = ReportSelectionForm(request.GET)
    path = request.GET.get("chiffre", "")
    context: dict = {"selection": selection, "path": path[:300]}
    if not selection.is_valid() or not PATH.match(path):
        context["invalid"] = True
        return render(request, "reporting/drilldown.html", context)
    dispositif = selection.cleaned_data["dispositif"]
    start, end = selection.cleaned_data["du"], selection.cleaned_data["au"]
    context.update(
        {
            "dispositif": dispositif,
            "start": start,
            "end": end,
            "label": outputs.path_label(path),
            "back": _page_url(dispositif, start, end),
        }
    )
    if path in MONEY_FIGURES:
        found = money_rows(dispositif, start, end, path)
        page = Paginator(found.rows, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            {
                "page": page,
                "money_total": found.total,
                "items": [_money_item(obj) for obj in page.object_list],
                "money": True,
            }
        )
        return render(request, "reporting/drilldown.html", context)
    try:
        items = _ordered(households_for(dispositif, start, end, path))
    except (LookupError, ValueError):
        context["unknown"] = True
        return render(request, "reporting/drilldown.html", context)
    page = Paginator(items, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update({"page": page, "items": [_item(obj) for obj in page.object_list]})
    return render(request, "reporting/drilldown.html", context)
