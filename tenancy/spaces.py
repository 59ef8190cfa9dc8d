"""Free spaces: the housing stock at a date minus what sublease contracts cover that day.

It lives in tenancy because it composes the stock (``housing``) with the contracts; housing
knows nothing of contracts and asks tenancy through its registries (the unit return guard
here, ``housing.services.UNIT_RETURN_GUARDS``). Every read runs a fixed number of queries,
whatever the number of rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
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

from housing.energy import letting_banned
from housing.models import HousingUnit, Room
from housing.selectors import units_in_stock
from iml.models import Dispositif, Membership
from iml.permissions import HOUSING_VIEWERS
from iml.selectors import Card
from tenancy.models import SubleaseContract


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
        label = f"{self.unit.reference} — {space} ({self.places} place{plural}) — {self.address}"
        if letting_banned(self.unit.energy_class, timezone.localdate()):
            label += f" — DPE {self.unit.energy_class} : location interdite"
        return label


def _covered_spaces(*, at: datetime.date, units: list[HousingUnit]) -> set[tuple[int, int | None]]:
    """The spaces of ``units`` covered by a sublease contract on ``at``.

    This is the one place where occupancy is subtracted from the stock: it answers
    ``(unit id, room id)`` for a room contract and ``(unit id, None)`` for a whole-unit
    contract (a contract covers from its start date to the day before its actual end date,
    see annual-report.md).
    """
    return set(
        SubleaseContract.objects.filter(unit__in=units)
        .covering(at)
        .values_list("unit_id", "room_id")
    )


def free_spaces(*, at: datetime.date, dispositif: Dispositif | None = None) -> list[FreeSpace]:
    """The spaces in stock at ``at`` that no sublease contract covers, in three queries.

    A unit without rooms is one space (all its places); a shared flat split into rooms gives
    one space per room. A whole-unit contract takes all of its rooms; a unit without rooms is
    free only when nothing covers it. Sorted by city, unit reference and room label.
    """
    in_stock = (
        units_in_stock(at=at)
        .select_related("dispositif")
        .prefetch_related(Prefetch("rooms", queryset=Room.objects.order_by("label", "pk")))
        .order_by("city", "reference", "pk")
    )
    if dispositif is not None:
        in_stock = in_stock.filter(dispositif=dispositif)
    units = list(in_stock)
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
    running = SubleaseContract.objects.covering(at)
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


def planned_vacancies(
    *, since: datetime.date, dispositif: Dispositif | None = None
) -> QuerySet[SubleaseContract]:
    """The running contracts whose household's exit is planned after ``since``: the spaces
    that will free up, soonest first (a planned exit is no exit: they are not free yet)."""
    contracts = SubleaseContract.objects.filter(
        actual_end_date__isnull=True,
        household__planned_exit_date__gt=since,
        household__exit_date__isnull=True,
    )
    if dispositif is not None:
        contracts = contracts.filter(unit__dispositif=dispositif)
    return contracts.select_related("household", "unit", "room", "unit__dispositif").order_by(
        "household__planned_exit_date", "unit__reference"
    )


@dataclass(frozen=True)
class SuggestedTerms:
    rent: Decimal
    charges: Decimal
    expected_housing_benefit: Decimal


def suggested_terms(spaces: list[FreeSpace]) -> dict[str, SuggestedTerms]:
    """What an admission to each space would likely sign, to pre-fill its form: the last
    contract's amounts on that space (its household paid them), else, for a whole unit, the
    rent and charges the operator pays for it. One query."""
    units = {space.unit.pk for space in spaces}
    last: dict[tuple[int, int | None], SubleaseContract] = {}
    for contract in (
        SubleaseContract.objects.filter(unit__in=units)
        .order_by("unit_id", "room_id", "-start_date", "-pk")
        .only("unit_id", "room_id", "rent", "charges", "expected_housing_benefit")
    ):
        last.setdefault((contract.unit_id, contract.room_id), contract)
    terms = {}
    for space in spaces:
        previous = last.get((space.unit.pk, space.room.pk if space.room else None))
        if previous is not None:
            terms[space.key] = SuggestedTerms(
                previous.rent, previous.charges, previous.expected_housing_benefit
            )
        elif space.room is None and space.unit.rent is not None:
            terms[space.key] = SuggestedTerms(
                space.unit.rent, space.unit.charges or Decimal("0"), Decimal("0")
            )
    return terms


def find_free_space(
    *, key: str, at: datetime.date, dispositif: Dispositif | None = None
) -> FreeSpace | None:
    """The free space of that ``key`` at ``at``, or None if it is not (or no longer) free."""
    return next((s for s in free_spaces(at=at, dispositif=dispositif) if s.key == key), None)


def unit_return_guard(*, unit: HousingUnit, return_date: datetime.date) -> None:
    """Refuses to give a unit back while a household still sublets it on or after the return
    date (``housing.services.UNIT_RETURN_GUARDS``; ``unit`` is locked by the caller).

    Not ``covering(return_date)``: a contract starting after the return date blocks it too.
    """
    if (
        SubleaseContract.objects.filter(unit=unit)
        .filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=return_date))
        .exists()
    ):
        raise ValidationError(
            {
                "return_date": "Un ménage sous-loue encore ce logement après cette date : "
                "enregistrez d’abord sa sortie."
            }
        )


def dashboard_cards(*, membership: Membership) -> list[Card]:
    """The free places of the dashboard, in one query (a provider of
    ``iml.selectors.DASHBOARD_PROVIDERS``, listed right after the housing stock's card)."""
    if membership.role not in HOUSING_VIEWERS:
        return []
    free = free_places(at=timezone.localdate())
    return [Card("Places libres aujourd’hui", free, "tenancy:free_spaces")]
