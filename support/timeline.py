"""The support app's items of a household's timeline (``households.timeline``)."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from households.models import Household, Person
from households.timeline import TimelineItem, TimelineKind
from iml.codes import InteractionType, SupportDomain
from iml.models import User
from support.models import (
    Interaction,
    Referral,
    SupportAmendment,
    SupportContract,
    WorkshopParticipant,
)
from support.staff import staff_labels, with_membership


def _appointment(when: datetime.datetime | None) -> str:
    if when is None:
        return ""
    return f"prochain rendez-vous le {timezone.localtime(when):%d/%m/%Y à %H:%M}"


def interaction_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """Interactions; notes only for readers allowed to see them."""
    items: list[TimelineItem] = []
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
                edit_url=reverse("support:interaction_edit", args=[interaction.public_id])
                if with_notes
                else "",
                author_id=interaction.created_by_id,
                recorded_at=interaction.created_at,
            )
        )
    return items


def support_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """The support contract and its amendments."""
    items: list[TimelineItem] = []
    for contract in SupportContract.objects.filter(household=household).select_related("referent"):
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
    return items


def referral_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """Referrals to partners and their outcome."""
    items: list[TimelineItem] = []
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
    return items


def workshop_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """Workshops a person of the household attended."""
    items: list[TimelineItem] = []
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
    return items
