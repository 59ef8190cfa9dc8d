"""Celery tasks of the core app: thin wrappers over services, taking ids, enqueued on commit."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from iml.models import Invitation, InvitationStatus, Membership, User
from iml.rls import organisation_transaction


def _set_password_link(user: User, base_url: str | None) -> str:
    """A password-reset link: the new person's acceptance, or the way in of an account that
    has no password yet."""
    return _absolute(
        base_url,
        reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        ),
    )


def _absolute(base_url: str | None, path: str) -> str:
    """Links point where the inviting admin reached the site (the request's address, which
    ``make run`` may serve on any port); commands, without a request, use ``SITE_URL``."""
    return (base_url or settings.SITE_URL).rstrip("/") + path


@shared_task
def send_invitation(membership_id: int, organisation_id: int, base_url: str | None = None) -> str:
    """E-mail a new member a link to choose their password (a password-reset link).

    Returns the membership's public id: task results are logged, e-mail addresses must not be.
    """
    with organisation_transaction(organisation_id):
        membership = Membership.objects.select_related("user", "organisation", "invited_by").get(
            pk=membership_id
        )
        user = membership.user
        context = {
            "membership": membership,
            "link": _set_password_link(user, base_url),
            "has_password": user.has_usable_password(),
        }
        send_mail(
            subject=f"Invitation : {membership.organisation.name}",
            message=render_to_string("iml/email/invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    return str(membership.public_id)


@shared_task
def send_invitation_request(
    invitation_id: int, organisation_id: int, base_url: str | None = None
) -> str:
    """E-mail a person who already has an account the link to accept (or decline) joining
    the organisation. Nothing is sent for an invitation answered or cancelled meanwhile.

    Returns the invitation's public id (no address in task results)."""
    from iml.services import invitation_token

    with organisation_transaction(organisation_id):
        invitation = Invitation.objects.select_related("organisation", "invited_by").get(
            pk=invitation_id
        )
        if invitation.status != InvitationStatus.PENDING:
            return str(invitation.public_id)
        user = User.objects.filter(email=invitation.email).first()
        context = {
            "invitation": invitation,
            "user": user,
            "accept_link": _absolute(
                base_url,
                reverse(
                    "invitation_accept",
                    kwargs={"invitation_token": invitation_token(invitation)},
                ),
            ),
            # An account created by another invitation may have no password yet.
            "set_password_link": (
                _set_password_link(user, base_url)
                if user is not None and not user.has_usable_password()
                else None
            ),
        }
        send_mail(
            subject=f"Invitation : {invitation.organisation.name}",
            message=render_to_string("iml/email/invitation_request.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    return str(invitation.public_id)


@shared_task
def purge_expired_sessions() -> None:
    # A no-op with sessions in Redis (their keys expire by themselves); kept for a deployment
    # that chooses a database session store.
    call_command("clearsessions")


@shared_task
def purge_access_log() -> int:
    from iml.access_log import purge_access_log as purge

    return purge()


@shared_task
def purge_form_submissions() -> int:
    from iml.submissions import purge_submissions

    return purge_submissions()
