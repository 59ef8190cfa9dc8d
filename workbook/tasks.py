"""Celery tasks of the interchange workbook: thin wrappers over ``workbook.jobs``, each run as
the job's organisation, and the e-mail that tells the heads of an export."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from iml.models import Membership, Organisation, Role, User
from iml.rls import organisation_transaction
from iml.scoping import organisation_context
from workbook.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)


def _limits() -> dict:
    """A task past the jobs' timeout is stopped (``SoftTimeLimitExceeded``), then killed a
    minute later: a workbook that takes longer is not one the worker should keep reading."""
    from workbook.jobs import job_timeout

    seconds = int(job_timeout().total_seconds())
    return {"soft_time_limit": seconds, "time_limit": seconds + 60}


@shared_task(**_limits())
def analyse_import(job_id: int, organisation_id: int) -> str:
    """The analysis of an upload (preview or errors): always here, never in the request."""
    from workbook import jobs

    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_transaction(organisation):
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportStatus.EN_ATTENTE:
            return job.status
        job.status = ImportStatus.ANALYSE
        job.save(update_fields=["status"])
    try:
        with organisation_transaction(organisation):
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != ImportStatus.ANALYSE:  # failed meanwhile (timeout)
                return job.status
            return jobs.job_analyse(job).status
    except Exception as error:
        # Whatever happened (time limit, memory, a bug), the admin sees why and may retry:
        # the job does not stay « analyse en cours ».
        logger.exception("workbook analysis %s failed", job_id)
        if isinstance(error, SoftTimeLimitExceeded):
            minutes = int(jobs.job_timeout().total_seconds() // 60)
            message = jobs.ANALYSIS_TIMED_OUT.format(minutes=minutes)
        else:
            message = jobs.ANALYSIS_FAILED
        with organisation_transaction(organisation):
            jobs.job_fail(job_id, message, statuses=(ImportStatus.ANALYSE,))
        return ImportStatus.ECHEC


@shared_task(**_limits())
def run_import(job_id: int, organisation_id: int) -> str:
    """The confirmed import, in one transaction."""
    from workbook.jobs import job_run

    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_transaction(organisation):
        job = ImportJob.objects.get(pk=job_id)
        return job_run(job).status


@shared_task
def purge_uploads() -> dict:
    """Every organisation: jobs no worker answered are failed, uploads older than the
    retention delay deleted (beat, every quarter of an hour). Counts only in the result.

    Not ``organisation_transaction``: its commit would retire the organisation's cached
    report figures every quarter of an hour, and import jobs are no figure."""
    from workbook.jobs import fail_stale_jobs, purge_old_uploads

    now = timezone.now()
    failed = purged = 0
    for organisation in Organisation.objects.order_by("pk"):
        with transaction.atomic(), organisation_context(organisation):
            failed += fail_stale_jobs(now)
            purged += purge_old_uploads(now)
    return {"failed": failed, "purged": purged}


@shared_task
def notify_export(organisation_id: int, user_id: int, exported_at: str) -> int:
    """Tell the organisation's heads that its whole workbook was downloaded: who, when, and
    where to look — no household's data. Returns the number of e-mails (results are logged:
    no address)."""
    when = timezone.localtime(parse_datetime(exported_at))
    with transaction.atomic(), organisation_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        user = User.objects.filter(pk=user_id).first()
        membership = (
            Membership.objects.filter(organisation=organisation, user_id=user_id).first()
            if user
            else None
        )
        heads = list(
            Membership.objects.active()
            .filter(organisation=organisation, role=Role.HEAD)
            .select_related("user")
            .order_by("pk")
        )
        context = {
            "organisation": organisation,
            "user": user,
            "role": membership.get_role_display() if membership else "",
            "when": when,
            "link": settings.SITE_URL + reverse("access_log"),
        }
        subject = f"Export du classeur de {organisation.name}"
        body = render_to_string("workbook/email/export_notice.txt", context)
        messages = [EmailMessage(subject, body, to=[head.user.email]) for head in heads]
    if messages:
        get_connection().send_messages(messages)
    return len(messages)
