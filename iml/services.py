"""Use cases of the core app: invitations and the life of memberships, dispositifs."""

from __future__ import annotations

import uuid
from functools import partial

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from iml import dataversion
from iml.models import (
    Dispositif,
    FunderAgent,
    Invitation,
    InvitationStatus,
    Membership,
    Organisation,
    Role,
    User,
    normalize_email,
)
from iml.scoping import organisation_context

# What other apps do when a person joins (or rejoins) a team, (membership=) -> None: the
# history that names their e-mail becomes theirs (the core app does not import them).
MEMBER_JOINED_HOOKS = ["support.staff.link_history"]


def _member_joined(membership: Membership) -> None:
    with organisation_context(membership.organisation):
        for hook in MEMBER_JOINED_HOOKS:
            import_string(hook)(membership=membership)


def _other_active_admins(membership: Membership) -> bool:
    """Locks the admins' rows: two admins demoting each other at once cannot both succeed."""
    admins = list(Membership.objects.admins().select_for_update().values_list("pk", flat=True))
    return any(pk != membership.pk for pk in admins)


@transaction.atomic
def member_invite(
    *,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    role: Role | str,
    invited_by: User | None,
    base_url: str | None = None,
) -> Membership | Invitation:
    """Invite a person to the organisation's team; ``base_url`` is where the e-mailed link
    points (the site as the request reached it; ``SITE_URL`` when None, for commands).

    A new person gets an account and a membership at once, and a link to choose their
    password: choosing it is their acceptance (they cannot log in before). A person who
    already has an account (another organisation's member, a former member) is asked first:
    an ``Invitation`` is e-mailed, and nothing of the account is shown to the organisation
    until they accept it (``invitation_accept``).
    """
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is not None and FunderAgent.objects.filter(user=user).exists():
        raise ValidationError({"email": FUNDER_AGENT})
    if user is None:
        user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
        user.set_unusable_password()
        user.full_clean()
        user.save()
        membership = Membership(
            organisation=organisation, user=user, role=role, invited_by=invited_by
        )
        membership.full_clean()
        membership.save()
        _member_joined(membership)

        from iml.tasks import send_invitation

        send_invitation.delay_on_commit(membership.pk, organisation.pk, base_url)
        return membership

    if Membership.objects.filter(user=user, is_active=True).exists():
        raise ValidationError({"email": "Cette personne fait déjà partie de l’équipe."})
    if Invitation.objects.pending().filter(email=email).exists():
        raise ValidationError({"email": ALREADY_PENDING})
    invitation = Invitation(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    invitation.full_clean()
    try:
        # Two admins inviting the same address at once: the database keeps one invitation.
        with transaction.atomic():
            invitation.save()
    except IntegrityError as error:
        raise ValidationError({"email": ALREADY_PENDING}) from error
    _send_invitation_request(invitation, base_url)
    return invitation


# A funder's agent reads every operator's report of their territory: never one's member.
FUNDER_AGENT = (
    "Cette adresse est celle d’un agent d’un financeur (DDETS, DREETS) : il ne peut pas "
    "faire partie de l’équipe d’un opérateur."
)
ALREADY_PENDING = (
    "Une invitation est déjà en attente pour cette adresse : renvoyez-la depuis la page Équipe."
)
# Salt of the signed link of an invitation (``invitation_token``).
_TOKEN_SALT = "iml.invitation"


def _send_invitation_request(invitation: Invitation, base_url: str | None) -> None:
    from iml.tasks import send_invitation_request

    send_invitation_request.delay_on_commit(invitation.pk, invitation.organisation_id, base_url)


def invitation_token(invitation: Invitation) -> str:
    """The invitation's part of its link: its organisation and its current key, signed.

    The organisation must travel in the link: before accepting, the person is no member of
    it, and row-level security shows an invitation only as its own organisation."""
    return signing.dumps([invitation.organisation_id, invitation.key.hex], salt=_TOKEN_SALT)


def invitation_from_token(token: str) -> tuple[Organisation, uuid.UUID] | None:
    """(organisation, key) of a link made by ``invitation_token``, None if altered or
    unreadable (the invitation itself is then read as that organisation)."""
    try:
        organisation_id, key = signing.loads(token, salt=_TOKEN_SALT)
        key = uuid.UUID(hex=key)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    organisation = Organisation.objects.filter(pk=organisation_id, is_active=True).first()
    return None if organisation is None else (organisation, key)


def _answerable(invitation: Invitation, user: User) -> Invitation:
    """The invitation, locked, if ``user`` may still answer it; refused otherwise."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if (
        locked.status != InvitationStatus.PENDING
        or locked.is_expired
        or locked.email != normalize_email(user.email)
    ):
        raise ValidationError("Cette invitation n’est plus valable.")
    return locked


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The invited person joins the team: the membership becomes active now, not at the
    invitation. Runs as the invitation's organisation (the person is not a member yet)."""
    organisation = invitation.organisation
    if FunderAgent.objects.filter(user=user).exists():
        raise ValidationError(FUNDER_AGENT)
    with organisation_context(organisation):
        invitation = _answerable(invitation, user)
        membership = Membership.objects.filter(user=user).first()
        joined = membership is None or not membership.is_active
        if membership is None:
            membership = Membership(organisation=organisation, user=user)
        if joined:
            membership.role = invitation.role
            membership.is_active = True
            membership.invited_by = invitation.invited_by
            membership.full_clean()
            membership.save()
        invitation.status = InvitationStatus.ACCEPTED
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["status", "answered_at"])
        if joined:
            _member_joined(membership)
    # Written as another organisation than the request's: retire that one's cached figures.
    transaction.on_commit(partial(dataversion.touch, organisation.pk))
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User) -> Invitation:
    with organisation_context(invitation.organisation):
        invitation = _answerable(invitation, user)
        invitation.status = InvitationStatus.DECLINED
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["status", "answered_at"])
    return invitation


def _pending(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.status != InvitationStatus.PENDING:
        raise ValidationError("Cette invitation n’est plus en attente.")
    return locked


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, by: User, base_url: str | None = None
) -> Invitation:
    """E-mail the invitation again with a new link, valid from now; the previous link stops
    working (its key is replaced)."""
    invitation = _pending(invitation)
    invitation.key = uuid.uuid4()
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["key", "sent_at"])
    _send_invitation_request(invitation, base_url)
    return invitation


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, by: User) -> Invitation:
    invitation = _pending(invitation)
    invitation.status = InvitationStatus.CANCELLED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    return invitation


@transaction.atomic
def member_change_role(*, membership: Membership, role: Role | str, by: User) -> Membership:
    current_role = Membership.objects.values_list("role", flat=True).get(pk=membership.pk)
    if current_role == Role.ADMIN and role != Role.ADMIN and not _other_active_admins(membership):
        raise ValidationError(
            {"role": "L’organisation doit garder au moins un·e administrateur·rice actif·ve."}
        )
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def member_deactivate(*, membership: Membership, by: User) -> Membership:
    """Remove a person's access to this organisation; their account and traces remain."""
    if membership.user_id == by.pk:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre accès.")
    if membership.role == Role.ADMIN and not _other_active_admins(membership):
        raise ValidationError(
            "L’organisation doit garder au moins un·e administrateur·rice actif·ve."
        )
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    return membership


@transaction.atomic
def member_reactivate(*, membership: Membership, by: User) -> Membership:
    membership.is_active = True
    membership.save(update_fields=["is_active", "updated_at"])
    _member_joined(membership)
    return membership


@transaction.atomic
def dispositif_save(*, dispositif: Dispositif, by: User) -> Dispositif:
    """Create or update a dispositif after checking every field and constraint."""
    dispositif.full_clean()
    dispositif.save()
    return dispositif
