"""Interactions with households: who takes part, logging them. Their place in the household's
timeline is ``support.timeline``; « Mes ménages » is ``alerts.attention``.

A missed appointment (``rdv_non_honore``) is recorded like any interaction but is never a
contact.
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from households.models import Household, Person
from iml.codes import InteractionType, SupportDomain
from iml.models import Membership, Role, User
from support.models import Interaction

STAFF_ROLES = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)


def staff_members() -> QuerySet[User]:
    """Who can take part in an interaction: active social workers, régisseurs and heads."""
    return User.objects.filter(
        memberships__in=Membership.objects.active().filter(role__in=STAFF_ROLES)
    ).order_by("first_name", "last_name")


def _checked(
    *,
    household: Household,
    date: datetime.date,
    kind: str,
    by: User,
    domains: list[str],
    persons: list[Person],
    staff: list[User],
    duration_minutes: int | None,
    next_appointment: datetime.datetime | None,
) -> list[User]:
    """The rules of an interaction, logged or corrected; its staff, the author among them."""
    if kind not in InteractionType.values:
        raise ValidationError({"kind": "Type d’échange inconnu."})
    if date > timezone.localdate():
        raise ValidationError({"date": "La date ne peut pas être dans le futur."})
    if household.orientation_date and date < household.orientation_date:
        raise ValidationError(
            {
                "date": "Le ménage n’était pas encore orienté "
                f"({household.orientation_date:%d/%m/%Y})."
            }
        )
    if household.exit_date and date > household.exit_date + relativedelta(months=6):
        raise ValidationError({"date": "Le ménage est sorti depuis plus de six mois."})
    unknown = set(domains) - set(SupportDomain.values)
    if unknown:
        raise ValidationError({"domains": "Domaine inconnu : " + ", ".join(sorted(unknown))})
    if duration_minutes is not None and not 1 <= duration_minutes <= 720:
        raise ValidationError({"duration_minutes": "Une durée de 1 à 720 minutes."})
    if any(person.household_id != household.pk for person in persons):
        raise ValidationError({"persons": "Une des personnes n’est pas de ce ménage."})
    allowed = set(staff_members().values_list("pk", flat=True))
    team = {user.pk: user for user in staff}
    team.setdefault(by.pk, by)
    if set(team) - allowed:
        raise ValidationError({"staff": "Un des intervenants n’est pas membre de l’équipe."})
    if next_appointment is not None and next_appointment.date() <= date:
        raise ValidationError(
            {"next_appointment": "Le prochain rendez-vous doit suivre cet échange."}
        )
    return list(team.values())


@transaction.atomic
def interaction_log(
    *,
    household: Household,
    date: datetime.date,
    kind: str,
    by: User,
    domains: list[str] = (),
    persons: list[Person] = (),
    staff: list[User] = (),
    duration_minutes: int | None = None,
    notes: str = "",
    next_appointment: datetime.datetime | None = None,
) -> Interaction:
    """Record a visit, an appointment, a call… The author is always among the staff."""
    team = _checked(household=household, date=date, kind=kind, by=by, domains=list(domains),
                    persons=list(persons), staff=list(staff), duration_minutes=duration_minutes,
                    next_appointment=next_appointment)  # fmt: skip
    interaction = Interaction(
        organisation_id=household.organisation_id,
        household=household,
        date=date,
        kind=kind,
        domains=sorted(set(domains)),
        duration_minutes=duration_minutes,
        notes=notes.strip(),
        next_appointment=next_appointment,
        created_by=by,
    )
    interaction.full_clean()
    interaction.save()
    link = {"through_defaults": {"organisation_id": household.organisation_id}}
    interaction.persons.set(persons, **link)
    interaction.staff.set(team, **link)
    return interaction


# --- Corrections ------------------------------------------------------------------------------

# Its author corrects an interaction for a week (a typo, a wrong date); a head may delete one
# at any time. Every previous version stays in the history (``InteractionHistory``).
EDIT_DAYS = 7


def _recent(author_id: int | None, recorded_at: datetime.datetime | None, user: User) -> bool:
    return (
        author_id == user.pk
        and recorded_at is not None
        and recorded_at >= timezone.now() - datetime.timedelta(days=EDIT_DAYS)
    )


def may_edit(interaction: Interaction, user: User) -> bool:
    return _recent(interaction.created_by_id, interaction.created_at, user)


def may_delete(interaction: Interaction, user: User, role: str) -> bool:
    return role == Role.HEAD or may_edit(interaction, user)


def may_change(
    author_id: int | None, recorded_at: datetime.datetime | None, user: User, role: str
) -> bool:
    """Whether the timeline offers « Corriger » (to its author) or « Supprimer » (a head)."""
    return role == Role.HEAD or _recent(author_id, recorded_at, user)


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    date: datetime.date,
    kind: str,
    by: User,
    domains: list[str] = (),
    persons: list[Person] = (),
    staff: list[User] = (),
    duration_minutes: int | None = None,
    notes: str = "",
    next_appointment: datetime.datetime | None = None,
) -> Interaction:
    """Its author corrects an interaction logged less than ``EDIT_DAYS`` days ago."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if not may_edit(interaction, by):
        raise ValidationError(
            f"Seule la personne qui a noté cet échange peut le corriger, pendant {EDIT_DAYS} jours."
        )
    household = interaction.household
    team = _checked(household=household, date=date, kind=kind, by=by, domains=list(domains),
                    persons=list(persons), staff=list(staff), duration_minutes=duration_minutes,
                    next_appointment=next_appointment)  # fmt: skip
    interaction.date, interaction.kind = date, kind
    interaction.domains = sorted(set(domains))
    interaction.duration_minutes = duration_minutes
    interaction.notes = notes.strip()
    interaction.next_appointment = next_appointment
    interaction.full_clean()
    interaction.save()
    link = {"through_defaults": {"organisation_id": household.organisation_id}}
    interaction.persons.set(persons, **link)
    interaction.staff.set(team, **link)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, by: User, role: str) -> None:
    """A head, or its author within ``EDIT_DAYS`` days, deletes an interaction (the wrong
    household, a duplicate); the history keeps what it said."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if not may_delete(interaction, by, role):
        raise ValidationError(
            "Seul·e un·e responsable, ou la personne qui l’a noté (pendant "
            f"{EDIT_DAYS} jours), peut supprimer cet échange."
        )
    interaction.delete()
