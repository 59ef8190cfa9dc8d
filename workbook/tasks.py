"""Celery tasks of the workbook import: thin wrappers over ``workbook.jobs``, each run as the
job's organisation (``organisation_transaction``)."""

from __future__ import annotations

from celery import shared_task

from iml.models import Organisation
from iml.rls import organisation_transaction
from workbook.models import ImportJob, ImportStatus


@shared_task
def analyse_import(job_id: int, organisation_id: int) -> str:
    """Analysis of a large upload (see ``jobs.SYNC_ANALYSIS_LIMIT``)."""
    from workbook.jobs import job_analyse

    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_transaction(organisation):
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportStatus.EN_ATTENTE:
            return job.status
        job.status = ImportStatus.ANALYSE
        job.save(update_fields=["status"])
    with organisation_transaction(organisation):
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        return job_analyse(job).status


@shared_task
def run_import(job_id: int, organisation_id: int) -> str:
    """The confirmed import, in one transaction."""
    from workbook.jobs import job_run

    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_transaction(organisation):
        job = ImportJob.objects.get(pk=job_id)
        return job_run(job).status
