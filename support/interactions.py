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
    interaction.staff.set(team.values(), **link)
    return interaction
