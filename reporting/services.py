"""Use cases of the annual report: the period, the head's narrative, and report versions
(requested by the head, built by a Celery task, frozen once ready)."""

from __future__ import annotations

import datetime
import hashlib
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from iml import dataversion
from iml.models import Dispositif, User
from iml.rls import organisation_transaction
from iml.scoping import get_current_organisation_id
from reporting import outputs

# The one entry point to the computation, looked up in this module's namespace at call time:
# tests replace it with monkeypatch (``reporting.services.compute_report``).
from reporting.compute import compute_report
from reporting.definitions import ReportScope
from reporting.funder_block import funder_figures
from reporting.models import (
    RUNNING_STATUSES,
    STALE_AFTER,
    ReportNarrative,
    ReportStatus,
    ReportVersion,
)
from reporting.rehousing_section import rehousing_figures

logger = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 731
NARRATIVE_FIELDS = ("mission", "highlights", "difficulties", "perspectives")
PROGRESS_FIGURES, PROGRESS_PDF, PROGRESS_XLSX = 10, 50, 85


# --- Period ---------------------------------------------------------------------------------


def default_period(
    dispositif: Dispositif, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The last complete 12-month period starting on the dispositif's first report month.

    Start month 11, today 2024-12-05: 2023-11-01 – 2024-10-31; start month 1, today
    2025-03-01: 2024-01-01 – 2024-12-31 (a period ending yesterday is complete)."""
    month = dispositif.report_start_month
    boundary = datetime.date(today.year, month, 1)
    if boundary > today:
        boundary = datetime.date(today.year - 1, month, 1)
    return datetime.date(boundary.year - 1, month, 1), boundary - datetime.timedelta(days=1)


def shift_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def previous_period(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The same period one year earlier (the N-1 of the report page)."""
    return shift_years(start, -1), shift_years(end, -1)


def validate_period(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise ValidationError({"au": "La fin de la période précède son début."})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"au": "La période ne peut pas dépasser deux ans."})


# --- Figures --------------------------------------------------------------------------------


def figures_for(dispositif: Dispositif, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """The report's figures from the data as they are now (the JSON form): computed, or
    cached since the organisation's last write (``iml.dataversion``), for the page."""
    return dataversion.cached(
        dispositif.organisation_id,
        "report-figures",
        lambda: compute_report(dispositif, start, end),
        FIGURES_CODE,
        dispositif.pk,
        start,
        end,
        timezone.localdate(),  # "now" enters some figures (ages, stays in progress)
    )


def _code_fingerprint() -> str:
    """Changes with the code and templates that compute and lay out the figures: after a
    deployment, nothing cached by the previous code is served."""
    root = Path(__file__).resolve().parent
    files = sorted(root.glob("*.py")) + sorted(
        (root.parent / "templates" / "reporting").rglob("*.html")
    )
    return hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()[:16]


FIGURES_CODE = _code_fingerprint()


def document_context(
    dispositif: Dispositif, *, generated_at: datetime.datetime | None = None
) -> dict[str, Any]:
    """Who and what the report is about, as plain values (the renderers read no database)."""
    return {
        "organisation": dispositif.organisation.name,
        "dispositif": dispositif.name,
        "dispositif_code": dispositif.code,
        "category": dispositif.get_category_display(),
        "zone": dispositif.get_zone_display(),
        # The DDETS it names, when it names one (its report is submitted there).
        "funder": (
            f"{dispositif.ddets.name} — BOP 177"
            if dispositif.ddets is not None
            else dispositif.funder
        ),
        "places": dispositif.places,
        "generated_at": timezone.localtime(generated_at or timezone.now()).date(),
    }


# --- Narrative ------------------------------------------------------------------------------


def narrative_get(
    dispositif: Dispositif, start: datetime.date, end: datetime.date
) -> ReportNarrative | None:
    narrative: ReportNarrative | None = ReportNarrative.objects.filter(
        dispositif=dispositif, start=start, end=end
    ).first()
    return narrative


def narrative_snapshot(narrative: ReportNarrative | None) -> dict[str, Any]:
    """The narrative as plain values, the copy a version keeps."""
    if narrative is None:
        return {**dict.fromkeys(NARRATIVE_FIELDS, ""), "staff_etp": None}
    return {
        **{name: getattr(narrative, name) for name in NARRATIVE_FIELDS},
        "staff_etp": None if narrative.staff_etp is None else str(narrative.staff_etp),
        "updated_at": narrative.updated_at.isoformat() if narrative.updated_at else None,
        "updated_by": str(narrative.updated_by) if narrative.updated_by_id else None,
    }


@transaction.atomic
def narrative_save(
    *,
    dispositif: Dispositif,
    start: datetime.date,
    end: datetime.date,
    by: User,
    mission: str = "",
    highlights: str = "",
    difficulties: str = "",
    perspectives: str = "",
    staff_etp: Decimal | None = None,
) -> ReportNarrative:
    """Create or update the narrative of a dispositif's period. Generated versions keep the
    copy they took: they do not change."""
    validate_period(start, end)
    narrative = (
        ReportNarrative.objects.select_for_update()
        .filter(dispositif=dispositif, start=start, end=end)
        .first()
    ) or ReportNarrative(dispositif=dispositif, start=start, end=end)
    narrative.mission = mission.strip()
    narrative.highlights = highlights.strip()
    narrative.difficulties = difficulties.strip()
    narrative.perspectives = perspectives.strip()
    narrative.staff_etp = staff_etp
    narrative.updated_by = by
    if narrative.organisation_id is None:
        narrative.organisation_id = get_current_organisation_id()
    narrative.full_clean()
    narrative.save()
    return narrative


# --- Versions -------------------------------------------------------------------------------


@transaction.atomic
def version_request(
    *, dispositif: Dispositif, start: datetime.date, end: datetime.date, by: User
) -> ReportVersion:
    """Ask for a new version of the report; a Celery task builds it once this commits.

    Refused while another version of the same dispositif and period is being built."""
    validate_period(start, end)
    # One request at a time per dispositif: two heads clicking together make one version.
    Dispositif.objects.select_for_update().filter(pk=dispositif.pk).first()
    running = ReportVersion.objects.filter(
        dispositif=dispositif,
        start=start,
        end=end,
        status__in=RUNNING_STATUSES,
        created_at__gte=timezone.now() - STALE_AFTER,
    ).exists()
    if running:
        raise ValidationError(
            "Un rapport est déjà en cours de génération pour ce dispositif et cette période : "
            "attendez qu’il soit prêt."
        )
    version: ReportVersion = ReportVersion.objects.create(
        dispositif=dispositif, start=start, end=end, created_by=by
    )
    from reporting.tasks import build_report_version

    build_report_version.delay_on_commit(version.pk, version.organisation_id)
    return version


def _set_progress(version_id: int, progress: int) -> None:
    with transaction.atomic():
        ReportVersion.objects.filter(pk=version_id, status=ReportStatus.RUNNING).update(
            progress=progress
        )


def version_build(version_id: int) -> str:
    """Build a requested version: figures, narrative copy, PDF, workbook; then ``pret``.

    Runs as the current organisation (the task sets it). Each step commits on its own, in
    short transactions, so that the page polling the progress sees it move while the build
    runs; the results are written together, in the last one, so that a failure leaves no
    partial data: the version is then ``echec`` with a French message. Returns the final
    status (a version that is not waiting any more is left as it is).
    """
    organisation_id = get_current_organisation_id()
    step = "préparation"  # named in the error message
    try:
        # 1. Claim the version (one worker only), 10 %.
        with organisation_transaction(organisation_id):
            claimed = ReportVersion.objects.filter(
                pk=version_id, status=ReportStatus.PENDING
            ).update(status=ReportStatus.RUNNING, progress=PROGRESS_FIGURES)
        if not claimed:
            return _status_of(version_id, organisation_id)
        # 2. The figures and the narrative, read in one transaction (a consistent picture).
        step = "calcul des chiffres"
        with organisation_transaction(organisation_id):
            version = ReportVersion.objects.select_related(
                "dispositif", "dispositif__organisation"
            ).get(pk=version_id)
            dispositif = version.dispositif
            figures = compute_report(dispositif, version.start, version.end)
            # « Parcours de relogement »: in the documents, not in the figures (the JSON form).
            scope = ReportScope(dispositif, version.start, version.end)
            rehousing = rehousing_figures(scope)
            funder_block = funder_figures(scope)
            narrative = narrative_snapshot(narrative_get(dispositif, version.start, version.end))
            context = document_context(dispositif, generated_at=timezone.now())
        _set_progress(version_id, PROGRESS_PDF)
        # 3. and 4. The documents: no database, no transaction held open meanwhile.
        step = "mise en page du PDF"
        pdf = outputs.render(
            figures, "pdf", narrative=narrative, context=context, rehousing=rehousing
        )
        _set_progress(version_id, PROGRESS_XLSX)
        step = "création du classeur"
        xlsx = outputs.render(
            figures, "xlsx", narrative=narrative, context=context, rehousing=rehousing
        )
        # 5. Everything at once; the version is frozen from here on.
        step = "enregistrement"
        with organisation_transaction(organisation_id):
            ReportVersion.objects.filter(pk=version_id, status=ReportStatus.RUNNING).update(
                status=ReportStatus.READY,
                progress=100,
                figures=figures,
                funder_figures=funder_block,
                narrative=narrative,
                pdf=pdf,
                xlsx=xlsx,
                gaps=int((figures.get("quality") or {}).get("gaps") or 0),
                error="",
                finished_at=timezone.now(),
            )
    except Exception:
        logger.exception("Report version %s failed at step: %s", version_id, step)
        with organisation_transaction(organisation_id):
            ReportVersion.objects.filter(pk=version_id, status__in=RUNNING_STATUSES).update(
                status=ReportStatus.FAILED,
                error=f"La génération a échoué pendant l’étape « {step} ». Vérifiez les "
                "données signalées dans la qualité des données puis relancez la génération ; "
                "si l’échec se répète, contactez le support.",
                finished_at=timezone.now(),
            )
        return ReportStatus.FAILED
    return _status_of(version_id, organisation_id)


def _status_of(version_id: int, organisation_id: int) -> str:
    with organisation_transaction(organisation_id):
        return (
            ReportVersion.objects.filter(pk=version_id).values_list("status", flat=True).first()
            or ""
        )
