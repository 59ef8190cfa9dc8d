"""Reads of the housing stock that are more than a filter.

Every function here runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from housing.models import (
    OPEN_PROSPECT_STATUSES,
    HousingUnit,
    Landlord,
    MainLease,
    Prospect,
    ProspectStatus,
    Room,
)
from iml.models import Dispositif

# Closed prospects shown per column of the pipeline board (the most recently updated).
CLOSED_PROSPECTS_SHOWN = 10


# --- Stock ----------------------------------------------------------------------------------


def units_in_stock(*, at: datetime.date) -> QuerySet[HousingUnit]:
    """Units in stock at ``at``: captured on or before it, and not returned or returned after."""
    return HousingUnit.objects.in_stock(at)


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
    return Room.objects.filter(unit=unit).order_by("label")


def unit_leases(unit: HousingUnit) -> QuerySet[MainLease]:
    return MainLease.objects.filter(unit=unit).select_related("landlord").order_by("-start_date")


def landlords_for_list(*, at: datetime.date) -> QuerySet[Landlord]:
    """Landlords with the number of their units in stock at ``at``."""
    in_stock = Q(units__captation_date__lte=at) & (
        Q(units__return_date__isnull=True) | Q(units__return_date__gt=at)
    )
    return Landlord.objects.annotate(units_in_stock=Count("units", filter=in_stock)).order_by(
        "name", "pk"
    )


# --- Free spaces ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSpace:
    """A space a household can be admitted to: a whole unit, or one room of a shared flat."""

    unit: HousingUnit
    room: Room | None
    places: int
    address: str

    @property
    def key(self) -> str:
        """Stable identifier of the space for a form choice: ``<unit uuid>[:<room uuid>]``."""
        if self.room is None:
            return str(self.unit.public_id)
        return f"{self.unit.public_id}:{self.room.public_id}"

    @property
    def label(self) -> str:
        space = self.room.label if self.room is not None else "logement entier"
        plural = "s" if self.places > 1 else ""
        return f"{self.unit.reference} — {space} ({self.places} place{plural}) — {self.address}"


def _covered_spaces(*, at: datetime.date, units: list[HousingUnit]) -> set[tuple[int, int | None]]:
    """The spaces of ``units`` covered by a sublease contract on ``at``.

    This is the one place where occupancy is subtracted from the stock: it answers
    ``(unit id, room id)`` for a room contract and ``(unit id, None)`` for a whole-unit
    contract (a contract covers from its start date to the day before its actual end date,
    see annual-report.md).
    """
    from tenancy.models import SubleaseContract  # tenancy builds on housing, not the reverse

    return set(
        SubleaseContract.objects.filter(unit__in=units, start_date__lte=at)
        .filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=at))
        .values_list("unit_id", "room_id")
    )


def free_spaces(*, at: datetime.date, dispositif: Dispositif | None = None) -> list[FreeSpace]:
    """The spaces in stock at ``at`` that no sublease contract covers, in three queries.

    A unit without rooms is one space (all its places); a shared flat split into rooms gives
    one space per room. A whole-unit contract takes all of its rooms; a unit without rooms is
    free only when nothing covers it. Sorted by city, unit reference and room label.
    """
    units = (
        units_in_stock(at=at)
        .select_related("dispositif")
        .prefetch_related(Prefetch("rooms", queryset=Room.objects.order_by("label", "pk")))
        .order_by("city", "reference", "pk")
    )
    if dispositif is not None:
        units = units.filter(dispositif=dispositif)
    units = list(units)
    covered = _covered_spaces(at=at, units=units)
    busy_units = {unit_id for unit_id, _ in covered}
    spaces: list[FreeSpace] = []
    for unit in units:
        rooms = list(unit.rooms.all())
        if not rooms:
            if unit.pk not in busy_units:
                spaces.append(FreeSpace(unit, None, unit.places, unit.full_address))
            continue
        if (unit.pk, None) in covered:
            continue
        spaces.extend(
            FreeSpace(unit, room, room.places, unit.full_address)
            for room in rooms
            if (unit.pk, room.pk) not in covered
        )
    return spaces


def free_places(*, at: datetime.date) -> int:
    """The number of places of ``free_spaces(at=at)``, counted by the database in one query
    (the dashboard shows the number, not the spaces)."""
    from tenancy.models import SubleaseContract

    running = SubleaseContract.objects.filter(start_date__lte=at).filter(
        Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=at)
    )
    free_rooms = (
        Room.objects.filter(unit=OuterRef("pk"))
        .exclude(Exists(running.filter(room=OuterRef("pk"))))
        .order_by()
        .values("unit")
        .annotate(total=Sum("places"))
        .values("total")
    )
    units = units_in_stock(at=at).annotate(
        has_rooms=Exists(Room.objects.filter(unit=OuterRef("pk"))),
        covered=Exists(running.filter(unit=OuterRef("pk"))),
        wholly_covered=Exists(running.filter(unit=OuterRef("pk"), room__isnull=True)),
        free_in_rooms=Coalesce(Subquery(free_rooms, output_field=IntegerField()), 0),
    )
    total = units.aggregate(
        total=Sum(
            Case(
                When(has_rooms=False, covered=False, then=F("places")),
                When(has_rooms=True, wholly_covered=False, then=F("free_in_rooms")),
                default=0,
            )
        )
    )["total"]
    return total or 0


def find_free_space(
    *, key: str, at: datetime.date, dispositif: Dispositif | None = None
) -> FreeSpace | None:
    """The free space of that ``key`` at ``at``, or None if it is not (or no longer) free."""
    return next((s for s in free_spaces(at=at, dispositif=dispositif) if s.key == key), None)


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


def dashboard_cards(*, membership) -> list:
    """Housing figures of the dashboard for the roles that see the stock, in two queries.

    A provider of ``iml.selectors.DASHBOARD_PROVIDERS``: (membership) -> list of cards.
    """
    from iml.permissions import HOUSING_VIEWERS
    from iml.selectors import Card

    if membership.role not in HOUSING_VIEWERS:
        return []
    today = timezone.localdate()
    stock = stock_totals(units_in_stock(at=today))
    free = free_places(at=today)
    return [
        Card("Logements en stock", stock["units"], "housing:unit_list"),
        Card("Places libres aujourd’hui", free, "housing:free_spaces"),
    ]
