"""Imports in the browser: a job per uploaded file, analysed (preview and errors), then run.

The upload's request only stores the file: a workbook is never read within a web request (a
few hundred kilobytes of zip can take a minute and gigabytes to read; ``workbook.reader``
caps it). Analysis and import run in Celery tasks (``workbook.tasks``), inside
``organisation_transaction``, while the page polls; the import's progress goes through the
cache (its own transaction is invisible to the page until it commits).

A task holds its job's row lock while it works. A job still « en attente », « analyse en
cours » or « import en cours » after ``job_timeout()`` whose row is not locked has no worker
any more (never started, or killed): ``fail_stale_jobs`` marks it failed, so that the admin
may upload the file again. It runs when a job's page is viewed and from the periodic
``workbook.tasks.purge_uploads``.

The uploaded file holds personal data: it is deleted as soon as it is of no more use
(imported, refused, failed), and after ``upload_retention()`` when never confirmed
(``purge_old_uploads``).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from iml.models import Organisation
from workbook.importer import ImportErrors, import_workbook
from workbook.models import RUNNING_STATUSES, ImportJob, ImportStatus
from workbook.reader import read_bytes
from workbook.validate import analyse

logger = logging.getLogger(__name__)

MAX_UPLOAD = 100 * 1024 * 1024
PROGRESS_TTL = 6 * 3600
UNEXPECTED = (
    "classeur:1: import: erreur inattendue pendant l’écriture ; rien n’a été importé. "
    "Réessayez, ou signalez-le à l’équipe de la plateforme."
)
ANALYSIS_FAILED = (
    "classeur:1: analyse: erreur inattendue pendant l’analyse du fichier ; rien n’a été "
    "importé. Déposez-le à nouveau, ou signalez-le à l’équipe de la plateforme."
)
ANALYSIS_TIMED_OUT = (
    "classeur:1: analyse: le fichier n’a pas pu être analysé en {minutes} minutes (le service "
    "d’analyse n’a pas répondu) ; rien n’a été importé. Déposez-le à nouveau."
)
IMPORT_TIMED_OUT = (
    "classeur:1: import: l’import ne s’est pas terminé en {minutes} minutes (le service "
    "d’import n’a pas répondu) ; rien n’a été importé. Déposez le fichier à nouveau."
)


def job_timeout() -> datetime.timedelta:
    """How long a job may wait for, and run in, a worker (setting WORKBOOK_JOB_TIMEOUT_MINUTES:
    the 10 000-household benchmark is analysed in about a minute)."""
    return datetime.timedelta(minutes=getattr(settings, "WORKBOOK_JOB_TIMEOUT_MINUTES", 30))


def upload_retention() -> datetime.timedelta:
    """How long an uploaded file waits for its confirmation (WORKBOOK_UPLOAD_RETENTION_HOURS)."""
    return datetime.timedelta(hours=getattr(settings, "WORKBOOK_UPLOAD_RETENTION_HOURS", 24))


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
    """Keep the uploaded file and have a worker analyse it (never this request)."""
    from workbook.tasks import analyse_import

    job = ImportJob.objects.create(
        organisation=organisation,
        file_name=_printable(file_name)[:255] or "classeur",
        file_data=data,
        file_size=len(data),
        created_by=user,
    )
    analyse_import.delay_on_commit(job.pk, organisation.pk)
    return job


def job_analyse(job: ImportJob) -> ImportJob:
    """Read and check the file against the organisation's data: the preview, or the errors.
    Runs in the worker (``workbook.tasks.analyse_import``)."""
    book = read_bytes(bytes(job.file_data), job.file_name)
    analysis = analyse(book, job.organisation, user=job.created_by)
    job.preview = analysis.preview()
    job.errors = [message.replace("\x00", "\ufffd") for message in analysis.messages()]
    job.status = ImportStatus.PRET if analysis.ok else ImportStatus.ERREURS
    job.progress = 0
    fields = ["preview", "errors", "status", "progress"]
    if not analysis.ok:
        # Refused: the file is of no more use, and the personal data it holds go with it.
        job.file_data, job.finished_at = b"", timezone.now()
        fields += ["file_data", "finished_at"]
    job.save(update_fields=fields)
    return job


def job_start(*, job: ImportJob) -> bool:
    """Confirmation: a job ready to import starts (once); False when it is not ready."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.PRET:
        return False
    job.status = ImportStatus.EN_COURS
    job.progress = 0
    job.started_at = timezone.now()
    job.save(update_fields=["status", "progress", "started_at"])
    from workbook.tasks import run_import

    run_import.delay_on_commit(job.pk, job.organisation_id)
    return True


def job_run(job: ImportJob) -> ImportJob:
    """The import, checked again against the data of now (it may have changed since the
    analysis): everything is written, or nothing and the errors are kept. Either way the
    uploaded file is deleted: imported, its data are in the database; refused or failed, it
    would have to be uploaded again anyway."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.EN_COURS:
        return job
    key = progress_key(job)

    def progress(percent: int) -> None:
        cache.set(key, percent, PROGRESS_TTL)

    try:
        book = read_bytes(bytes(job.file_data), job.file_name)
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
    job.file_data = b""
    job.finished_at = timezone.now()
    job.save()
    cache.delete(key)
    return job


def job_fail(job_id: int, message: str, *, statuses=RUNNING_STATUSES) -> bool:
    """Mark a job failed (when still in one of ``statuses``) and delete its file."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status__in=statuses).update(
            status=ImportStatus.ECHEC,
            errors=[message],
            file_data=b"",
            progress=0,
            finished_at=timezone.now(),
        )
    )


def fail_stale_jobs(now: datetime.datetime | None = None, *, job: ImportJob | None = None) -> int:
    """Jobs of the current organisation (or ``job`` only) that no worker has answered for
    ``job_timeout()``: failed, with a French message, their file deleted. A job whose row is
    locked is being worked on (the tasks hold the lock while they work) and is left alone:
    ``skip_locked``, so that a page never waits for a running import."""
    now = now or timezone.now()
    cutoff = now - job_timeout()
    minutes = int(job_timeout().total_seconds() // 60)
    jobs = ImportJob.objects.all() if job is None else ImportJob.objects.filter(pk=job.pk)
    waiting = Q(status__in=(ImportStatus.EN_ATTENTE, ImportStatus.ANALYSE), created_at__lt=cutoff)
    importing = Q(status=ImportStatus.EN_COURS) & (
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff)
    )
    failed = 0
    for condition, message in (
        (waiting, ANALYSIS_TIMED_OUT.format(minutes=minutes)),
        (importing, IMPORT_TIMED_OUT.format(minutes=minutes)),
    ):
        stale = list(
            jobs.filter(condition)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
            .order_by()
        )
        if stale:
            failed += ImportJob.objects.filter(pk__in=stale).update(
                status=ImportStatus.ECHEC,
                errors=[message],
                file_data=b"",
                progress=0,
                finished_at=now,
            )
    return failed


def purge_old_uploads(now: datetime.datetime | None = None) -> int:
    """Delete the files of the current organisation's uploads older than
    ``upload_retention()`` (a confirmed, refused or failed import has lost it already): a job
    ready to import and never confirmed expires. Running jobs are ``fail_stale_jobs``'s."""
    now = now or timezone.now()
    old = list(
        ImportJob.objects.filter(created_at__lt=now - upload_retention())
        .exclude(status__in=RUNNING_STATUSES)
        .exclude(file_data=b"")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
        .order_by()
    )
    if old:
        ImportJob.objects.filter(pk__in=old, status=ImportStatus.PRET).update(
            status=ImportStatus.EXPIRE, finished_at=now
        )
        ImportJob.objects.filter(pk__in=old).update(file_data=b"")
    return len(old)
