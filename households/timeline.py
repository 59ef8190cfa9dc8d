"""A household's timeline: everything that happened to it, newest first. Each app adds its
own items through ``TIMELINE_SOURCES`` (the dashboard's registry pattern), so that the
timeline's home needs no app above it; support serves the page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.module_loading import import_string

from households.models import Household, HouseholdEvent


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
    # What its author may correct (an interaction): the page to do it, who and when.
    edit_url: str = ""
    author_id: int | None = None
    recorded_at: datetime.datetime | None = None
    editable: bool = False


# (kind) -> "module.function" with (household, *, with_notes) -> items of that kind: one
# query per source, whatever the number of items.
TIMELINE_SOURCES = {
    TimelineKind.INTERACTION: "support.timeline.interaction_items",
    TimelineKind.PATH: "households.timeline.path_items",
    TimelineKind.CONTRACT: "tenancy.timeline.contract_items",
    TimelineKind.SUPPORT: "support.timeline.support_items",
    TimelineKind.REFERRAL: "support.timeline.referral_items",
    TimelineKind.WORKSHOP: "support.timeline.workshop_items",
    TimelineKind.PAYMENT: "tenancy.timeline.payment_items",
}


def household_timeline(
    household: Household, *, with_notes: bool, kinds: set[str] | None = None
) -> list[TimelineItem]:
    """Everything that happened to the household, newest first (``with_notes``: the reader may
    read support notes, ``iml.permissions.can_read_support_notes``)."""
    kinds = kinds or {value for value, _ in TimelineKind.CHOICES}
    items: list[TimelineItem] = []
    for kind, source in TIMELINE_SOURCES.items():
        if kind in kinds:
            items.extend(import_string(source)(household, with_notes=with_notes))
    items.sort(key=lambda item: (item.date, item.order), reverse=True)
    return items


def path_items(household: Household, *, with_notes: bool) -> list[TimelineItem]:
    """The household's path: orientation, entry, exit, withdrawal."""
    items: list[TimelineItem] = []
    for event in HouseholdEvent.objects.filter(household=household):
        items.append(
            TimelineItem(
                date=event.date,
                kind=TimelineKind.PATH,
                title=str(event.get_kind_display()).capitalize(),
                detail=event.summary,
            )
        )
    return items
