"""Use cases of the core app: invitations and the life of memberships, dispositifs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

from iml.models import Dispositif, Membership, Organisation, Role, User
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
    invited_by: User,
) -> Membership:
    """Give a person a role in the organisation and e-mail them a link to set their password.

    A person who already has an account (in this or another organisation) keeps it; a
    deactivated member is reactivated with the new role.
    """
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
        user.set_unusable_password()
        user.full_clean()
        user.save()
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and membership.is_active:
        raise ValidationError({"email": "Cette personne fait déjà partie de l’équipe."})
    if membership is None:
        membership = Membership(organisation=organisation, user=user)
    membership.role = role
    membership.is_active = True
    membership.invited_by = invited_by
    membership.full_clean()
    membership.save()
    _member_joined(membership)

    from iml.tasks import send_invitation

    send_invitation.delay_on_commit(membership.pk, organisation.pk)
    return membership


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
