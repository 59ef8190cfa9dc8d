"""Import and export of the interchange workbook.

Import, for the organisation's admin: upload → the job's page (analysed by a worker: preview
of rows to create and update per sheet, and every error) → confirmation → the import runs in
a Celery task while the page polls its progress (htmx). Jobs are loaded through the scoped
manager by public identifier: another organisation's job is a 404.

Export of every household's data, for heads and admins: only with a second factor passed in
the last minutes (else they pass it again, then download), written to the access log and told
to the organisation's heads by e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from iml import twofactor
from iml.access_log import record_access
from iml.forms import TokenForm
from iml.models import AccessAction, Role
from iml.permissions import member_required
from workbook import exporter, jobs, spec
from workbook.forms import UploadForm
from workbook.models import ImportJob, ImportStatus
from workbook.reader import Limits
from workbook.tasks import notify_export
from workbook.template import template_bytes

ADMIN_ONLY = (Role.ADMIN,)
# The whole workbook: every household's identity, resources and ledger.
EXPORTERS = (Role.HEAD, Role.ADMIN)
PAGE_SIZE = 20
ERRORS_PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _jobs():
    return ImportJob.objects.defer("file_data").select_related("created_by")


def export_verification_seconds() -> int:
    """How fresh the second factor must be to export (WORKBOOK_EXPORT_VERIFICATION_MINUTES)."""
    return 60 * getattr(settings, "WORKBOOK_EXPORT_VERIFICATION_MINUTES", 5)


def _retention_hours() -> int:
    return int(jobs.upload_retention().total_seconds() // 3600)


def _job(job: str) -> ImportJob:
    """The job, failed first if no worker has answered it for too long (``jobs``)."""
    import_job = get_object_or_404(_jobs(), public_id=job)
    if import_job.is_running and jobs.fail_stale_jobs(job=import_job):
        import_job = get_object_or_404(_jobs(), public_id=job)
    return import_job


@member_required(EXPORTERS)
def import_upload(request: HttpRequest) -> HttpResponse:
    """The workbook's page: export for heads and admins, import for the admin. The file is
    only stored here; a worker reads it (``jobs.job_create``)."""
    can_import = request.membership.role in ADMIN_ONLY
    if request.method == "POST" and not can_import:
        raise PermissionDenied
    form = page = None
    if can_import:
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            job = jobs.job_create(
                organisation=request.organisation,
                user=request.user,
                file_name=upload.name,
                data=upload.read(),
            )
            messages.success(request, f"Fichier « {job.file_name} » reçu : analyse en cours.")
            return redirect("workbook:import_detail", job=job.public_id)
        jobs.fail_stale_jobs()
        page = Paginator(_jobs(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbook/import_upload.html",
        {
            "form": form,
            "page": page,
            "can_import": can_import,
            "export_sheets": spec.SHEETS,
            "confidential": [
                (spec.SHEETS_BY_NAME[sheet].label, sheet, columns)
                for sheet, columns in exporter.CONFIDENTIAL.items()
            ],
            "retention_hours": _retention_hours(),
            "limits": Limits.from_settings().shown(),
        },
    )


@member_required(ADMIN_ONLY)
def import_detail(request: HttpRequest, job: str) -> HttpResponse:
    import_job = _job(job)
    errors = Paginator(import_job.errors, ERRORS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbook/import_detail.html",
        {
            "job": import_job,
            "errors": errors,
            "progress": jobs.current_progress(import_job),
            "statuses": ImportStatus,
            "retention_hours": _retention_hours(),
        },
    )


@require_POST
@member_required(ADMIN_ONLY)
def import_confirm(request: HttpRequest, job: str) -> HttpResponse:
    import_job = get_object_or_404(_jobs(), public_id=job)
    if jobs.job_start(job=import_job):
        messages.success(request, "Import lancé : cette page suit son avancement.")
    else:
        messages.error(
            request,
            f"Ce classeur ne peut pas être importé : il est « {import_job.get_status_display()} ».",
        )
    return redirect("workbook:import_detail", job=import_job.public_id)


@member_required(ADMIN_ONLY)
def import_progress(request: HttpRequest, job: str) -> HttpResponse:
    """The progress fragment, polled by the job's page while the job runs."""
    import_job = _job(job)
    response = render(
        request,
        "workbook/import_progress.html",
        {
            "job": import_job,
            "progress": jobs.current_progress(import_job),
            "retention_hours": _retention_hours(),
        },
    )
    if request.headers.get("HX-Request") and not import_job.is_running:
        response["HX-Refresh"] = "true"  # done: reload the page (preview, errors)
    return response


@require_GET
@member_required(ADMIN_ONLY)
def template_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="modele-classeur-iml.xlsx"'
    return response


@require_GET
@member_required(EXPORTERS)
def export_download(request: HttpRequest) -> HttpResponse:
    if not twofactor.verified_within(request, export_verification_seconds()):
        return redirect("workbook:export_verify")
    organisation = request.organisation
    record_access(
        request,
        object_type="organisation",
        object_id=organisation.public_id,
        action=AccessAction.EXPORT,
    )
    notify_export.delay_on_commit(organisation.pk, request.user.pk, timezone.now().isoformat())
    # Neither the head nor the admin takes the interactions' confidential notes away in this
    # file (the command-line export, run by the platform, keeps them).
    response = HttpResponse(exporter.xlsx_bytes(organisation, with_notes=False), content_type=XLSX)
    name = f"classeur-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@member_required(EXPORTERS)
def export_verify(request: HttpRequest) -> HttpResponse:
    """The second factor again, right before the export; then the download."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, form.cleaned_data["token"]):
            return redirect("workbook:export_download")
        form.add_error("token", "Code incorrect ou expiré. Réessayez avec le code affiché.")
    return render(
        request,
        "workbook/export_verify.html",
        {
            "form": form,
            "minutes": export_verification_seconds() // 60,
            "back": reverse("workbook:import_upload"),
        },
    )
