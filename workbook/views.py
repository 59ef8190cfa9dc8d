"""Import and export of the interchange workbook, for the organisation's admin only.

Upload → the job's page (preview: rows to create and update per sheet, and every error) →
confirmation → the import runs in a Celery task while the page polls its progress (htmx).
Jobs are loaded through the scoped manager by public identifier: another organisation's job
is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from iml.access_log import record_access
from iml.models import AccessAction, Role
from iml.permissions import member_required
from workbook import exporter, jobs, spec
from workbook.forms import UploadForm
from workbook.models import ImportJob, ImportStatus
from workbook.template import template_bytes

ADMIN_ONLY = (Role.ADMIN,)
PAGE_SIZE = 20
ERRORS_PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _jobs():
    return ImportJob.objects.defer("file_data").select_related("created_by")


@member_required(ADMIN_ONLY)
def import_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = jobs.job_create(
            organisation=request.organisation,
            user=request.user,
            file_name=upload.name,
            data=upload.read(),
        )
        messages.success(request, f"Fichier « {job.file_name} » reçu.")
        return redirect("workbook:import_detail", job=job.public_id)
    page = Paginator(_jobs(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbook/import_upload.html",
        {"form": form, "page": page, "export_sheets": spec.SHEETS},
    )


@member_required(ADMIN_ONLY)
def import_detail(request: HttpRequest, job: str) -> HttpResponse:
    import_job = get_object_or_404(_jobs(), public_id=job)
    errors = Paginator(import_job.errors, ERRORS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbook/import_detail.html",
        {
            "job": import_job,
            "errors": errors,
            "progress": jobs.current_progress(import_job),
            "statuses": ImportStatus,
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
    import_job = get_object_or_404(_jobs(), public_id=job)
    response = render(
        request,
        "workbook/import_progress.html",
        {"job": import_job, "progress": jobs.current_progress(import_job)},
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
@member_required(ADMIN_ONLY)
def export_download(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    record_access(
        request,
        object_type="organisation",
        object_id=organisation.public_id,
        action=AccessAction.EXPORT,
    )
    # The admin manages the account, not the support: the interactions' confidential notes
    # stay out of this download (the command-line export, run by the platform, keeps them).
    response = HttpResponse(exporter.xlsx_bytes(organisation, with_notes=False), content_type=XLSX)
    name = f"classeur-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
