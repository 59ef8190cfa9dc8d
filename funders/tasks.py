"""Celery tasks of the funder's side: thin wrappers, taking ids, enqueued on commit."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from funders.models import FunderAccess, Submission
from iml.access_log import RETENTION
from iml.models import FunderAgent
from iml.tasks import _absolute, _set_password_link


@shared_task
def send_agent_invitation(agent_id: int, base_url: str | None = None) -> str:
    """E-mail a funder's agent the way in: a link to choose their password when they have
    none, else a word that their access is open. Returns the agent's id (no address in task
    results)."""
    with transaction.atomic():
        agent = FunderAgent.objects.select_related("user", "institution").get(pk=agent_id)
        user = agent.user
        context = {
            "agent": agent,
            "link": None if user.has_usable_password() else _set_password_link(user, base_url),
        }
        send_mail(
            subject=f"Accès financeur : {agent.institution.name}",
            message=render_to_string("funders/email/agent_invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    return str(agent.pk)


@shared_task
def purge_funder_access() -> int:
    """Forget the funders' accesses older than a year (as the operators' access log)."""
    with transaction.atomic():
        deleted, _ = FunderAccess.objects.filter(at__lt=timezone.now() - RETENTION).delete()
    return deleted


@shared_task
def notify_submission(submission_id: int, base_url: str | None = None) -> str:
    """Tell the DDETS's agents that a report came in (no figure in the e-mail: the link)."""
    with transaction.atomic():
        submission = Submission.objects.select_related("institution").get(pk=submission_id)
        recipients = list(
            FunderAgent.objects.filter(
                institution=submission.institution, is_active=True, user__is_active=True
            ).values_list("user__email", flat=True)
        )
        if recipients:
            link = _absolute(
                base_url,
                reverse("funders:submission_detail", kwargs={"submission": submission.public_id}),
            )
            send_mail(
                subject=f"Rapport annuel transmis : {submission.organisation_name}",
                message=render_to_string(
                    "funders/email/submitted.txt", {"submission": submission, "link": link}
                ),
                from_email=None,
                recipient_list=recipients,
            )
    return str(submission.public_id)


@shared_task
def notify_review(submission_id: int, base_url: str | None = None) -> str:
    """Tell the head who submitted the report what the DDETS decided (received, or returned
    with its comment)."""
    with transaction.atomic():
        submission = Submission.objects.select_related("institution", "submitted_by").get(
            pk=submission_id
        )
        link = _absolute(base_url, reverse("funders:operator_submissions"))
        send_mail(
            subject=f"Rapport annuel {submission.dispositif_code} : "
            f"{submission.get_status_display()}",
            message=render_to_string(
                "funders/email/reviewed.txt", {"submission": submission, "link": link}
            ),
            from_email=None,
            recipient_list=[submission.submitted_by.email],
        )
    return str(submission.public_id)
