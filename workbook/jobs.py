"""Imports in the browser: a job per uploaded file, analysed (preview and errors), then run.

Analysis runs right away, within the upload's request, for files up to ``SYNC_ANALYSIS_LIMIT``
(512 KB: about 300 households with their history as ``.xlsx``, 1 300 as a ``.zip`` of CSV;
3 seconds at most); a larger file is analysed by a Celery task while the page polls. The
import itself always runs in a task (``workbook.tasks``), inside ``organisation_transaction``;
its progress goes through the cache (the import's own transaction is invisible to the page
until it commits).
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from iml.models import Organisation
from workbook.importer import ImportErrors, import_workbook
from workbook.models import ImportJob, ImportStatus
from workbook.reader import read_bytes
from workbook.validate import analyse

logger = logging.getLogger(__name__)

SYNC_ANALYSIS_LIMIT = 512 * 1024
MAX_UPLOAD = 100 * 1024 * 1024
PROGRESS_TTL = 6 * 3600
UNEXPECTED = (
    "classeur:1: import: erreur inattendue pendant l’écriture ; rien n’a été importé. "
    "Réessayez, ou signalez-le à l’équipe de la plateforme."
)


def progress_key(job: ImportJob) -> str:
    return f"workbook:progress:{job.public_id}"


def current_progress(job: ImportJob) -> int:
    if job.status == ImportStatus.EN_COURS:
        return int(cache.get(progress_key(job), job.progress))
    return job.progress


def _printable(text: str) -> str:
    """Without control characters (PostgreSQL refuses NUL in text and JSON)."""
    return "".join(char if char.isprintable() else "\ufffd" for char in text)


def job_create(*, organisation: Organisation, user, file_name: str, data: bytes) -> ImportJob:
    """Keep the uploaded file; analyse it now when small, else in a task."""
    job = ImportJob.objects.create(
        organisation=organisation,
        file_name=_printable(file_name)[:255] or "classeur",
        file_data=data,
        file_size=len(data),
        created_by=user,
    )
    if len(data) <= SYNC_ANALYSIS_LIMIT:
        job_analyse(job)
    else:
        from workbook.tasks import analyse_import

        analyse_import.delay_on_commit(job.pk, organisation.pk)
    return job


def job_analyse(job: ImportJob) -> ImportJob:
    """Read and check the file against the organisation's data: the preview, or the errors."""
    book = read_bytes(bytes(job.file_data), job.file_name)
    analysis = analyse(book, job.organisation, user=job.created_by)
    job.preview = analysis.preview()
    job.errors = [message.replace("\x00", "\ufffd") for message in analysis.messages()]
    job.status = ImportStatus.PRET if analysis.ok else ImportStatus.ERREURS
    job.progress = 0
    job.save(update_fields=["preview", "errors", "status", "progress"])
    return job


def job_start(*, job: ImportJob) -> bool:
    """Confirmation: a job ready to import starts (once); False when it is not ready."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.PRET:
        return False
    job.status = ImportStatus.EN_COURS
    job.progress = 0
    job.save(update_fields=["status", "progress"])
    from workbook.tasks import run_import

    run_import.delay_on_commit(job.pk, job.organisation_id)
    return True


def job_run(job: ImportJob) -> ImportJob:
    """The import, checked again against the data of now (it may have changed since the
    analysis): everything is written, or nothing and the errors are kept."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.EN_COURS:
        return job
    key = progress_key(job)

    def progress(percent: int) -> None:
        cache.set(key, percent, PROGRESS_TTL)

    book = read_bytes(bytes(job.file_data), job.file_name)
    try:
        with transaction.atomic():
            analysis = import_workbook(book, job.organisation, user=job.created_by,
                                       progress=progress)  # fmt: skip
    except ImportErrors as error:
        job.status = ImportStatus.ERREURS
        job.errors = [message.replace("\x00", "\ufffd") for message in error.errors]
    except Exception:
        logger.exception("workbook import %s failed", job.public_id)
        job.status, job.errors = ImportStatus.ECHEC, [UNEXPECTED]
    else:
        job.status, job.errors, job.preview = ImportStatus.TERMINE, [], analysis.preview()
        job.progress = 100
        job.file_data = b""  # imported: the personal data it holds is now in the database
    job.finished_at = timezone.now()
    job.save()
    cache.delete(key)
    return job
