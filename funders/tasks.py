"""Celery tasks of the funder's side: thin wrappers, taking ids, enqueued on commit."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from funders.models import FunderAccess
from iml.access_log import RETENTION
from iml.models import FunderAgent
from iml.tasks import _set_password_link


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
