from __future__ import annotations

import datetime

import pytest
from freezegun import freeze_time

from housing import selectors
from housing.models import HousingUnit, ProspectStatus
from housing.selectors import FreeSpace
from iml.models import Role
from tests.factories import DispositifFactory
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    ProspectFactory,
    RoomFactory,
)

D = datetime.date

pytestmark = pytest.mark.django_db


def test_units_in_stock_at_boundary_dates(as_org_a, org_b):
    unit = HousingUnitFactory(
        organisation=as_org_a,
        captation_date=D(2023, 11, 1),
        return_date=D(2024, 10, 31),
        return_reason="glissement_bail",
    )
    never_returned = HousingUnitFactory(organisation=as_org_a, captation_date=D(2020, 1, 1))
    HousingUnitFactory(organisation=org_b, captation_date=D(2020, 1, 1))  # another organisation

    def at(day):
        return set(selectors.units_in_stock(at=day))

    assert at(D(2023, 10, 31)) == {never_returned}
    assert at(D(2023, 11, 1)) == {unit, never_returned}  # captation day: in
    assert at(D(2024, 10, 30)) == {unit, never_returned}
    assert at(D(2024, 10, 31)) == {never_returned}  # return day: out


def test_stock_totals_and_sectors(as_org_a):
    HousingUnitFactory(organisation=as_org_a, places=3, sector="Grand Amiénois")
    HousingUnitFactory(organisation=as_org_a, places=5, sector="Picardie Maritime")
    HousingUnitFactory(organisation=as_org_a, places=2, sector="Grand Amiénois")
    HousingUnitFactory(organisation=as_org_a, places=1, sector="")
    assert selectors.stock_totals(HousingUnit.objects.all()) == {"units": 4, "places": 11}
    assert selectors.stock_totals(HousingUnit.objects.none()) == {"units": 0, "places": 0}
    assert selectors.sectors() == ["Grand Amiénois", "Picardie Maritime"]


def test_landlords_count_their_units_in_stock(as_org_a):
    landlord = LandlordFactory(organisation=as_org_a)
    HousingUnitFactory(organisation=as_org_a, landlord=landlord)
    HousingUnitFactory(organisation=as_org_a, landlord=landlord, returned=True)
    HousingUnitFactory(organisation=as_org_a, landlord=landlord, captation_date=D(2030, 1, 1))
    idle = LandlordFactory(organisation=as_org_a)
    counts = {row: row.units_in_stock for row in selectors.landlords_for_list(at=D(2024, 7, 1))}
    assert counts == {landlord: 1, idle: 0}


# --- Free spaces ----------------------------------------------------------------------------


@pytest.fixture
def stock(as_org_a, dispositif_a):
    """A whole flat, a shared flat with two rooms, a shared flat without rooms yet."""
    whole = HousingUnitFactory(
        organisation=as_org_a,
        dispositif=dispositif_a,
        reference="B-WHOLE",
        address="2 rue Gresset",
        postcode="80000",
        city="Amiens",
        places=4,
        captation_date=D(2024, 1, 10),
    )
    shared = HousingUnitFactory(
        organisation=as_org_a,
        dispositif=dispositif_a,
        reference="A-SHARED",
        address="5 rue Jules Barni",
        postcode="80000",
        city="Amiens",
        shared=True,
        places=3,
        captation_date=D(2024, 1, 1),
        return_date=D(2024, 9, 1),
        return_reason="insecurite",
    )
    room_2 = RoomFactory(unit=shared, label="Chambre 2", places=2)
    room_1 = RoomFactory(unit=shared, label="Chambre 1", places=1)
    bare = HousingUnitFactory(
        organisation=as_org_a,
        dispositif=DispositifFactory(organisation=as_org_a),
        reference="C-BARE",
        address="1 place du Marché",
        postcode="80100",
        city="Abbeville",
        shared=True,
        places=2,
        captation_date=D(2024, 1, 1),
    )
    return {"whole": whole, "shared": shared, "rooms": [room_1, room_2], "bare": bare}


def test_free_spaces_lists_whole_units_and_rooms(stock):
    spaces = selectors.free_spaces(at=D(2024, 3, 1))
    assert spaces == [
        FreeSpace(stock["bare"], None, 2, "1 place du Marché, 80100 Abbeville"),
        FreeSpace(stock["shared"], stock["rooms"][0], 1, "5 rue Jules Barni, 80000 Amiens"),
        FreeSpace(stock["shared"], stock["rooms"][1], 2, "5 rue Jules Barni, 80000 Amiens"),
        FreeSpace(stock["whole"], None, 4, "2 rue Gresset, 80000 Amiens"),
    ]
    room_space = spaces[1]
    assert room_space.key == f"{stock['shared'].public_id}:{stock['rooms'][0].public_id}"
    assert room_space.label == "A-SHARED — Chambre 1 (1 place) — 5 rue Jules Barni, 80000 Amiens"
    assert spaces[3].key == str(stock["whole"].public_id)
    assert spaces[3].label == "B-WHOLE — logement entier (4 places) — 2 rue Gresset, 80000 Amiens"


def test_free_spaces_at_boundary_dates(stock):
    def units(day):
        return {space.unit.reference for space in selectors.free_spaces(at=day)}

    assert units(D(2023, 12, 31)) == set()
    assert units(D(2024, 1, 9)) == {"A-SHARED", "C-BARE"}
    assert units(D(2024, 1, 10)) == {"A-SHARED", "B-WHOLE", "C-BARE"}  # captation day: in
    assert units(D(2024, 8, 31)) == {"A-SHARED", "B-WHOLE", "C-BARE"}
    assert units(D(2024, 9, 1)) == {"B-WHOLE", "C-BARE"}  # return day: out


def test_free_spaces_of_one_dispositif(stock, dispositif_a):
    spaces = selectors.free_spaces(at=D(2024, 3, 1), dispositif=dispositif_a)
    assert {s.unit.reference for s in spaces} == {"A-SHARED", "B-WHOLE"}


def test_free_spaces_subtracts_covered_spaces(stock, monkeypatch):
    shared, whole = stock["shared"], stock["whole"]
    room_1, room_2 = stock["rooms"]

    def covering(*spaces):
        monkeypatch.setattr(selectors, "_covered_spaces", lambda *, at, units: set(spaces))
        return {
            (s.unit.reference, s.room and s.room.label)
            for s in selectors.free_spaces(at=D(2024, 3, 1))
        }

    assert covering((whole.pk, None), (shared.pk, room_1.pk)) == {
        ("A-SHARED", "Chambre 2"),
        ("C-BARE", None),
    }
    # A whole-unit contract on a shared flat takes all of its rooms.
    assert covering((shared.pk, None)) == {("B-WHOLE", None), ("C-BARE", None)}
    assert covering((shared.pk, room_1.pk), (shared.pk, room_2.pk)) == {
        ("B-WHOLE", None),
        ("C-BARE", None),
    }


def test_free_places_counts_the_places_of_the_free_spaces(stock):
    """The dashboard's one-query count agrees with the list of free spaces, day by day."""
    from tests.tenancy.factories import SubleaseContractFactory

    shared, whole = stock["shared"], stock["whole"]
    room_1, room_2 = stock["rooms"]
    org = whole.organisation
    SubleaseContractFactory(organisation=org, unit=whole, start_date=D(2024, 2, 1),
                            actual_end_date=D(2024, 4, 1))  # fmt: skip
    SubleaseContractFactory(organisation=org, unit=shared, room=room_1, start_date=D(2024, 3, 1),
                            actual_end_date=D(2024, 5, 1))  # fmt: skip
    SubleaseContractFactory(
        organisation=org, unit=shared, start_date=D(2024, 6, 1), actual_end_date=D(2024, 7, 1)
    )  # a whole-unit contract, rooms and all
    SubleaseContractFactory(organisation=org, unit=shared, room=room_2, start_date=D(2024, 7, 15),
                            actual_end_date=D(2024, 8, 1))  # fmt: skip
    days = [D(2024, 1, 5), D(2024, 2, 1), D(2024, 3, 1), D(2024, 3, 31), D(2024, 4, 1),
            D(2024, 6, 15), D(2024, 7, 1), D(2024, 7, 20), D(2024, 9, 1)]  # fmt: skip
    for day in days:
        expected = sum(space.places for space in selectors.free_spaces(at=day))
        assert selectors.free_places(at=day) == expected, day
    # On 2024-06-15: the whole flat is free again (4 places), the shared flat is taken as a
    # whole, the bare flat is free (2 places).
    assert selectors.free_places(at=D(2024, 6, 15)) == 6


def test_find_free_space(stock):
    room = stock["rooms"][0]
    key = f"{stock['shared'].public_id}:{room.public_id}"
    assert selectors.find_free_space(key=key, at=D(2024, 3, 1)).room == room
    assert selectors.find_free_space(key=key, at=D(2024, 9, 1)) is None  # returned by then
    assert selectors.find_free_space(key="nope", at=D(2024, 3, 1)) is None


def test_free_spaces_runs_three_queries_whatever_the_stock(
    as_org_a, dispositif_a, django_assert_num_queries
):
    def grow(count):
        for _ in range(count):
            unit = HousingUnitFactory(organisation=as_org_a, dispositif=dispositif_a, shared=True)
            RoomFactory(unit=unit)
            RoomFactory(unit=unit)

    grow(3)
    with django_assert_num_queries(3):
        assert len(selectors.free_spaces(at=D(2024, 3, 1))) == 6
    grow(37)
    with django_assert_num_queries(3):
        spaces = selectors.free_spaces(at=D(2024, 3, 1))
        assert len(spaces) == 80
        # Everything a list of spaces shows is loaded already.
        assert all(s.unit.dispositif.code and s.address for s in spaces)


# --- Pipeline board -------------------------------------------------------------------------


def test_prospect_board(as_org_a, django_assert_num_queries):
    later = ProspectFactory(organisation=as_org_a, next_step_date=D(2024, 12, 1))
    undated = ProspectFactory(organisation=as_org_a)
    sooner = ProspectFactory(organisation=as_org_a, next_step_date=D(2024, 11, 1))
    visit = ProspectFactory(organisation=as_org_a, status=ProspectStatus.VISITE)
    ProspectFactory.create_batch(12, organisation=as_org_a, status=ProspectStatus.ABANDONNE)
    with django_assert_num_queries(4):
        columns = selectors.prospect_board()
        by_status = {column.status: column for column in columns}
        assert [c.status for c in columns] == [
            "contact",
            "visite",
            "negociation",
            "capte",
            "abandonne",
        ]
        assert by_status["contact"].prospects == [sooner, later, undated]
        assert by_status["visite"].prospects == [visit]
        assert (by_status["negociation"].total, by_status["negociation"].prospects) == (0, [])
        abandoned = by_status["abandonne"]
        assert (abandoned.total, len(abandoned.prospects), abandoned.hidden) == (12, 10, 2)
        assert all(p.landlord_display for c in columns for p in c.prospects)


# --- Dashboard ------------------------------------------------------------------------------


@freeze_time("2024-03-01")
def test_dashboard_cards(as_org_a, members_a, django_assert_num_queries):
    shared = HousingUnitFactory(organisation=as_org_a, shared=True, places=3)
    RoomFactory(unit=shared, places=1)
    RoomFactory(unit=shared, places=1)
    HousingUnitFactory(organisation=as_org_a, places=4)
    HousingUnitFactory(
        organisation=as_org_a,
        captation_date=D(2023, 1, 1),
        return_date=D(2024, 3, 1),
        return_reason="autre",
    )
    HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 3, 2))
    with django_assert_num_queries(2):
        cards = selectors.dashboard_cards(membership=members_a[Role.SOCIAL_WORKER])
    assert [(c.label, c.value, c.url_name) for c in cards] == [
        ("Logements en stock", 2, "housing:unit_list"),
        ("Places libres aujourd’hui", 6, "housing:free_spaces"),
    ]
    assert selectors.dashboard_cards(membership=members_a[Role.ADMIN]) == []
