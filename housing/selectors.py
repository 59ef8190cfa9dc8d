"""Reads of the housing stock that are more than a filter.

Every function here runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from housing.models import (
    OPEN_PROSPECT_STATUSES,
    HousingUnit,
    Landlord,
    MainLease,
    Prospect,
    ProspectStatus,
    Room,
)
from iml.models import Membership
from iml.permissions import HOUSING_VIEWERS
from iml.selectors import Card, Panel

# Closed prospects shown per column of the pipeline board (the most recently updated).
CLOSED_PROSPECTS_SHOWN = 10


# --- Stock ----------------------------------------------------------------------------------


def units_in_stock(*, at: datetime.date) -> QuerySet[HousingUnit]:
    """Units in stock at ``at``: captured on or before it, and not returned or returned after."""
    units: QuerySet[HousingUnit] = HousingUnit.objects.in_stock(at)
    return units


def units_for_list(units: QuerySet[HousingUnit]) -> QuerySet[HousingUnit]:
    """What the stock list shows of each unit, in one query per page."""
    # A correlated subquery, not a join and GROUP BY: computed for the page's rows only.
    rooms = (
        Room.objects.filter(unit=OuterRef("pk"))
        .order_by()
        .values("unit")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        units.select_related("dispositif", "landlord")
        .annotate(room_count=Coalesce(Subquery(rooms, output_field=IntegerField()), 0))
        .order_by("reference", "pk")
    )


def stock_totals(units: QuerySet[HousingUnit]) -> dict[str, int]:
    """Number of units and of places of a (filtered, not annotated) set of units."""
    totals = units.aggregate(units=Count("pk"), places=Sum("places"))
    return {"units": totals["units"], "places": totals["places"] or 0}


def sectors() -> list[str]:
    """The sectors used by the organisation's units, for the list filter."""
    return list(
        HousingUnit.objects.exclude(sector="")
        .order_by("sector")
        .values_list("sector", flat=True)
        .distinct()
    )


def unit_rooms(unit: HousingUnit) -> QuerySet[Room]:
    rooms: QuerySet[Room] = Room.objects.filter(unit=unit).order_by("label")
    return rooms


def unit_leases(unit: HousingUnit) -> QuerySet[MainLease]:
    leases: QuerySet[MainLease] = (
        MainLease.objects.filter(unit=unit).select_related("landlord").order_by("-start_date")
    )
    return leases


def landlords_for_list(*, at: datetime.date) -> QuerySet[Landlord]:
    """Landlords with the number of their units in stock at ``at``."""
    in_stock = Q(units__captation_date__lte=at) & (
        Q(units__return_date__isnull=True) | Q(units__return_date__gt=at)
    )
    landlords: QuerySet[Landlord] = Landlord.objects.annotate(
        units_in_stock=Count("units", filter=in_stock)
    ).order_by("name", "pk")
    return landlords


# --- Captation pipeline ---------------------------------------------------------------------


@dataclass
class BoardColumn:
    status: str
    label: str
    total: int
    prospects: list[Prospect] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.total - len(self.prospects)


def prospect_board() -> list[BoardColumn]:
    """The pipeline, one column per step, in four queries.

    Open prospects are all shown, soonest next step first; closed columns (captured,
    abandoned) show the most recently updated ones and say how many are not shown.
    """
    base = Prospect.objects.select_related("landlord", "unit")
    totals = dict(Prospect.objects.order_by().values_list("status").annotate(count=Count("pk")))
    columns = {
        status: BoardColumn(
            status=status, label=ProspectStatus(status).label, total=totals.get(status, 0)
        )
        for status in ProspectStatus.values
    }
    for prospect in base.filter(status__in=OPEN_PROSPECT_STATUSES).order_by(
        F("next_step_date").asc(nulls_last=True), "created_at", "pk"
    ):
        columns[prospect.status].prospects.append(prospect)
    for status in (ProspectStatus.CAPTE, ProspectStatus.ABANDONNE):
        columns[status].prospects = list(
            base.filter(status=status).order_by("-updated_at", "-pk")[:CLOSED_PROSPECTS_SHOWN]
        )
    return list(columns.values())


# --- Dashboard ------------------------------------------------------------------------------


def dashboard_cards(*, membership: Membership) -> list[Card]:
    """The stock figure of the dashboard for the roles that see the stock, in one query.

    A provider of ``iml.selectors.DASHBOARD_PROVIDERS``: (membership) -> list of cards. The
    free places, which need the contracts, come from ``tenancy.spaces.dashboard_cards``.
    """
    if membership.role not in HOUSING_VIEWERS:
        return []
    stock = stock_totals(units_in_stock(at=timezone.localdate()))
    return [Card("Logements en stock", stock["units"], "housing:unit_list")]


# --- Unit page ------------------------------------------------------------------------------

# Blocks that apps above housing add to a unit's page, in this order, without housing importing
# them: (unit) -> Panel | None (None: nothing to show for that unit). The page is for the
# housing viewers, who all read what a provider shows.
UNIT_PANELS = ["tenancy.inventories.unit_panel", "papers.panels.unit_panel"]


# The same for a landlord's page: (landlord) -> Panel | None.
LANDLORD_PANELS = ["papers.panels.landlord_panel"]


def landlord_panels(landlord: Landlord) -> list[Panel]:
    panels = [import_string(provider)(landlord=landlord) for provider in LANDLORD_PANELS]
    return [panel for panel in panels if panel is not None]


def unit_panels(unit: HousingUnit) -> list[Panel]:
    panels = [import_string(provider)(unit=unit) for provider in UNIT_PANELS]
    return [panel for panel in panels if panel is not None]
