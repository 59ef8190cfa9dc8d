"""Reads of the core app that are more than a filter."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.module_loading import import_string

from iml.models import Dispositif, Membership, Role


@dataclass(frozen=True)
class Card:
    label: str
    value: int | Decimal
    url_name: str | None = None
    query: str = ""  # appended to the URL: "?dette=1"
    money: bool = False  # shown in euros, to the cent


def members() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by(
        "-is_active", "user__last_name", "user__first_name", "user__email"
    )


def dashboard_counts(*, membership: Membership) -> list[Card]:
    """The figures each role sees first, in two queries whatever the size of the organisation.

    Households, contracts and alerts join these cards when their apps land.
    """
    dispositifs = Dispositif.objects.filter(is_active=True).aggregate(
        count=Count("pk"), places=Sum("places")
    )
    cards = [
        Card("Dispositifs actifs", dispositifs["count"], "dispositif_list"),
        Card("Places", dispositifs["places"] or 0, "dispositif_list"),
    ]
    if membership.role in (Role.ADMIN, Role.HEAD):
        team = Membership.objects.active().aggregate(
            total=Count("pk"),
            social_workers=Count("pk", filter=Q(role=Role.SOCIAL_WORKER)),
            regisseurs=Count("pk", filter=Q(role=Role.REGISSEUR)),
        )
        url = "member_list" if membership.role == Role.ADMIN else None
        cards += [
            Card("Membres actifs de l’équipe", team["total"], url),
            Card("Travailleurs sociaux", team["social_workers"], url),
            Card("Régisseurs", team["regisseurs"], url),
        ]
    if membership.role != Role.ADMIN and membership.role != Role.HEAD:
        cards = [Card(card.label, card.value) for card in cards]
    for provider in DASHBOARD_PROVIDERS:
        cards += import_string(provider)(membership=membership)
    return cards


@dataclass(frozen=True)
class Panel:
    """A block of a page that another app renders (the dashboard, a unit's page): its
    template and that template's context, read by the template as ``panel.context``."""

    template: str
    context: dict[str, Any]


def dashboard_panels(*, membership: Membership) -> list[Panel]:
    panels = [import_string(provider)(membership=membership) for provider in DASHBOARD_PANELS]
    return [panel for panel in panels if panel is not None]


# Apps add their blocks above the figures: (membership) -> Panel | None.
DASHBOARD_PANELS = ["alerts.selectors.dashboard_panel"]

# Apps add their cards without the core app importing them: (membership) -> list[Card].
# In the order of the dashboard: the free places follow the stock they are taken from.
DASHBOARD_PROVIDERS = [
    "households.selectors.dashboard_cards",
    "housing.selectors.dashboard_cards",
    "tenancy.spaces.dashboard_cards",
    "tenancy.selectors.dashboard_cards",
    "papers.selectors.dashboard_cards",
]
