"""Interactions with households: logging them, and the household timeline (« Mes ménages »
is in ``alerts.attention``, with the alerts' rules).

A missed appointment (``rdv_non_honore``) is recorded like any interaction but is never a
contact. Notes are confidential: the timeline carries them only for readers allowed to see
them (``iml.permissions.can_read_support_notes``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Prefetch,
    QuerySet,
)
from django.urls import reverse
from django.utils import timezone

from households.models import Household, HouseholdEvent, Person
from iml.codes import InteractionType, LedgerKind, SupportDomain
from iml.models import Membership, Role, User
from support.models import (
    Interaction,
    Referral,
    SupportAmendment,
    SupportContract,
    WorkshopParticipant,
)
from support.staff import staff_labels, with_membership
from tenancy.models import Amendment, LedgerEntry, SubleaseContract

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


# --- Timeline -------------------------------------------------------------------------------


class TimelineKind:
    INTERACTION = "echange"
    PATH = "parcours"
    CONTRACT = "contrat"
    SUPPORT = "accompagnement"
    REFERRAL = "partenaire"
    PAYMENT = "paiement"
    WORKSHOP = "atelier"

    CHOICES = [
        (INTERACTION, "Échanges"),
        (PATH, "Parcours"),
        (CONTRACT, "Sous-location"),
        (SUPPORT, "Accompagnement"),
        (REFERRAL, "Partenaires"),
        (WORKSHOP, "Ateliers"),
        (PAYMENT, "Paiements"),
    ]


@dataclass
class TimelineItem:
    date: datetime.date
    kind: str
    title: str
    detail: str = ""
    notes: str = ""
    amount: Decimal | None = None
    url: str = ""
    missed: bool = False
    order: int = 0


def _appointment(when: datetime.datetime | None) -> str:
    if when is None:
        return ""
    return f"prochain rendez-vous le {timezone.localtime(when):%d/%m/%Y à %H:%M}"


def household_timeline(
    household: Household, *, with_notes: bool, kinds: set[str] | None = None
) -> list[TimelineItem]:
    """Everything that happened to the household, newest first: one query per source,
    whatever the number of items."""
    kinds = kinds or {value for value, _ in TimelineKind.CHOICES}
    items: list[TimelineItem] = []
    if TimelineKind.INTERACTION in kinds:
        interactions = (
            Interaction.objects.filter(household=household)
            .prefetch_related(
                Prefetch("persons", queryset=Person.objects.order_by("first_name")),
                Prefetch("staff", queryset=with_membership(User.objects.order_by("first_name"))),
            )
            .order_by("-date", "-pk")
        )
        for interaction in interactions:
            present = ", ".join(p.first_name for p in interaction.persons.all())
            staff = ", ".join(staff_labels(interaction))
            domains = ", ".join(
                str(SupportDomain(d).label) for d in interaction.domains if d in SupportDomain
            )
            detail = " · ".join(
                part
                for part in (
                    domains,
                    f"{interaction.duration_minutes} min" if interaction.duration_minutes else "",
                    f"présents : {present}" if present else "",
                    f"par {staff}" if staff else "",
                    _appointment(interaction.next_appointment),
                )
                if part
            )
            items.append(
                TimelineItem(
                    date=interaction.date,
                    kind=TimelineKind.INTERACTION,
                    title=str(interaction.get_kind_display()).capitalize(),
                    detail=detail,
                    notes=interaction.notes if with_notes else "",
                    missed=interaction.kind == InteractionType.RDV_NON_HONORE,
                    order=interaction.pk,
                )
            )
    if TimelineKind.PATH in kinds:
        for event in HouseholdEvent.objects.filter(household=household):
            items.append(
                TimelineItem(
                    date=event.date,
                    kind=TimelineKind.PATH,
                    title=str(event.get_kind_display()).capitalize(),
                    detail=event.summary,
                )
            )
    if TimelineKind.CONTRACT in kinds:
        for contract in SubleaseContract.objects.filter(household=household).select_related(
            "unit", "room"
        ):
            space = contract.unit.reference + (f" — {contract.room.label}" if contract.room else "")
            items.append(
                TimelineItem(
                    date=contract.start_date,
                    kind=TimelineKind.CONTRACT,
                    title=f"Contrat de sous-location {contract.reference}",
                    detail=space,
                    url=contract.get_absolute_url(),
                )
            )
            if contract.actual_end_date:
                items.append(
                    TimelineItem(
                        date=contract.actual_end_date,
                        kind=TimelineKind.CONTRACT,
                        title=f"Fin du contrat {contract.reference}",
                        url=contract.get_absolute_url(),
                    )
                )
        for amendment in Amendment.objects.filter(contract__household=household).select_related(
            "contract"
        ):
            items.append(
                TimelineItem(
                    date=amendment.signed_on,
                    kind=TimelineKind.CONTRACT,
                    title=f"Avenant {amendment.number} au contrat {amendment.contract.reference}",
                    detail=f"jusqu’au {amendment.new_end_date:%d/%m/%Y}"
                    + (" — au-delà de 18 mois" if amendment.beyond_limit else ""),
                    url=amendment.contract.get_absolute_url(),
                )
            )
    if TimelineKind.SUPPORT in kinds:
        for contract in SupportContract.objects.filter(household=household).select_related(
            "referent"
        ):
            items.append(
                TimelineItem(
                    date=contract.signed_on,
                    kind=TimelineKind.SUPPORT,
                    title="Contrat d’accompagnement signé",
                    detail=f"référent·e {contract.referent_label}, jusqu’au "
                    f"{contract.initial_end_date:%d/%m/%Y}",
                    url=contract.get_absolute_url(),
                )
            )
        for amendment in SupportAmendment.objects.filter(contract__household=household):
            items.append(
                TimelineItem(
                    date=amendment.signed_on,
                    kind=TimelineKind.SUPPORT,
                    title=f"Avenant {amendment.number} à l’accompagnement",
                    detail=f"jusqu’au {amendment.new_end_date:%d/%m/%Y}",
                )
            )
    if TimelineKind.REFERRAL in kinds:
        for referral in Referral.objects.filter(household=household).select_related("partner"):
            outcome = (
                f" — {referral.get_outcome_display()} le {referral.outcome_date:%d/%m/%Y}"
                if referral.outcome_date
                else " — en attente"
            )
            items.append(
                TimelineItem(
                    date=referral.date,
                    kind=TimelineKind.REFERRAL,
                    title=f"Orientation vers {referral.partner.name}",
                    detail=referral.reason + outcome,
                )
            )
    if TimelineKind.WORKSHOP in kinds:
        links = (
            WorkshopParticipant.objects.filter(person__household=household)
            .select_related("workshop", "person")
            .order_by("workshop__date")
        )
        for link in links:
            items.append(
                TimelineItem(
                    date=link.workshop.date,
                    kind=TimelineKind.WORKSHOP,
                    title=f"Atelier « {link.workshop.title} »",
                    detail=f"{link.person.first_name} a participé",
                )
            )
    if TimelineKind.PAYMENT in kinds:
        credits = LedgerEntry.objects.filter(
            contract__household=household,
            kind__in=[LedgerKind.PAIEMENT, LedgerKind.APL, LedgerKind.AIDE],
        )
        for entry in credits:
            items.append(
                TimelineItem(
                    date=entry.date,
                    kind=TimelineKind.PAYMENT,
                    title=str(entry.get_kind_display()).capitalize(),
                    amount=entry.credit,
                    url=reverse("tenancy:household_account", args=[household.public_id]),
                )
            )
    items.sort(key=lambda item: (item.date, item.order), reverse=True)
    return items
