"""Free spaces (``tenancy.spaces``): the stock at a date minus what contracts cover that day,
their screen, their dashboard card, and the contracts' ``covering(day)`` rule."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from housing.services import unit_return
from iml.models import Role
from tenancy import spaces
from tenancy.models import SubleaseContract
from tenancy.spaces import FreeSpace
from tests.conftest import login, shown
from tests.factories import DispositifFactory
from tests.housing.factories import HousingUnitFactory, RoomFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return response.content.decode()


# --- The covering rule ----------------------------------------------------------------------


def test_covering_from_the_start_to_the_day_before_the_actual_end(as_org_a):
    ended = SubleaseContractFactory(
        organisation=as_org_a, start_date=D(2025, 3, 10), actual_end_date=D(2025, 6, 1)
    )
    running = SubleaseContractFactory(organisation=as_org_a, start_date=D(2025, 5, 1))
    # Ended on its first day: it never covered a single day.
    SubleaseContractFactory(
        organisation=as_org_a, start_date=D(2025, 4, 1), actual_end_date=D(2025, 4, 1)
    )
    expected = {
        D(2025, 3, 9): set(),
        D(2025, 3, 10): {ended},  # the start day is covered
        D(2025, 4, 1): {ended},
        D(2025, 4, 30): {ended},
        D(2025, 5, 1): {ended, running},
        D(2025, 5, 31): {ended, running},  # the day before the actual end
        D(2025, 6, 1): {running},  # the actual end is the first day out
        D(2030, 1, 1): {running},  # no actual end: running whatever its term
    }
    for day, contracts in expected.items():
        assert set(SubleaseContract.objects.covering(day)) == contracts, day


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
    free = spaces.free_spaces(at=D(2024, 3, 1))
    assert free == [
        FreeSpace(stock["bare"], None, 2, "1 place du Marché, 80100 Abbeville"),
        FreeSpace(stock["shared"], stock["rooms"][0], 1, "5 rue Jules Barni, 80000 Amiens"),
        FreeSpace(stock["shared"], stock["rooms"][1], 2, "5 rue Jules Barni, 80000 Amiens"),
        FreeSpace(stock["whole"], None, 4, "2 rue Gresset, 80000 Amiens"),
    ]
    room_space = free[1]
    assert room_space.key == f"{stock['shared'].public_id}:{stock['rooms'][0].public_id}"
    assert room_space.label == "A-SHARED — Chambre 1 (1 place) — 5 rue Jules Barni, 80000 Amiens"
    assert free[3].key == str(stock["whole"].public_id)
    assert free[3].label == "B-WHOLE — logement entier (4 places) — 2 rue Gresset, 80000 Amiens"


def test_free_spaces_at_boundary_dates(stock):
    def units(day):
        return {space.unit.reference for space in spaces.free_spaces(at=day)}

    assert units(D(2023, 12, 31)) == set()
    assert units(D(2024, 1, 9)) == {"A-SHARED", "C-BARE"}
    assert units(D(2024, 1, 10)) == {"A-SHARED", "B-WHOLE", "C-BARE"}  # captation day: in
    assert units(D(2024, 8, 31)) == {"A-SHARED", "B-WHOLE", "C-BARE"}
    assert units(D(2024, 9, 1)) == {"B-WHOLE", "C-BARE"}  # return day: out


def test_free_spaces_of_one_dispositif(stock, dispositif_a):
    free = spaces.free_spaces(at=D(2024, 3, 1), dispositif=dispositif_a)
    assert {s.unit.reference for s in free} == {"A-SHARED", "B-WHOLE"}


def test_free_spaces_subtracts_covered_spaces(stock, monkeypatch):
    shared, whole = stock["shared"], stock["whole"]
    room_1, room_2 = stock["rooms"]

    def covering(*covered):
        monkeypatch.setattr(spaces, "_covered_spaces", lambda *, at, units: set(covered))
        return {
            (s.unit.reference, s.room and s.room.label)
            for s in spaces.free_spaces(at=D(2024, 3, 1))
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
        expected = sum(space.places for space in spaces.free_spaces(at=day))
        assert spaces.free_places(at=day) == expected, day
    # On 2024-06-15: the whole flat is free again (4 places), the shared flat is taken as a
    # whole, the bare flat is free (2 places).
    assert spaces.free_places(at=D(2024, 6, 15)) == 6


def test_find_free_space(stock):
    room = stock["rooms"][0]
    key = f"{stock['shared'].public_id}:{room.public_id}"
    assert spaces.find_free_space(key=key, at=D(2024, 3, 1)).room == room
    assert spaces.find_free_space(key=key, at=D(2024, 9, 1)) is None  # returned by then
    assert spaces.find_free_space(key="nope", at=D(2024, 3, 1)) is None


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
        assert len(spaces.free_spaces(at=D(2024, 3, 1))) == 6
    grow(37)
    with django_assert_num_queries(3):
        free = spaces.free_spaces(at=D(2024, 3, 1))
        assert len(free) == 80
        # Everything a list of spaces shows is loaded already.
        assert all(s.unit.dispositif.code and s.address for s in free)


# --- Unit return ----------------------------------------------------------------------------


def test_a_contract_still_running_after_the_return_date_refuses_the_return(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 1, 1))
    SubleaseContractFactory(
        organisation=as_org_a, unit=unit, start_date=D(2025, 1, 1), actual_end_date=D(2025, 5, 1)
    )
    # Starting after the return date blocks it too, though it covers no day before it.
    SubleaseContractFactory(organisation=as_org_a, unit=unit, start_date=D(2025, 9, 1),
                            actual_end_date=D(2025, 10, 1))  # fmt: skip
    for day in (D(2025, 4, 30), D(2025, 6, 1), D(2025, 9, 30)):
        with pytest.raises(ValidationError) as error:
            unit_return(unit=unit, return_date=day, reason="autre")
        assert error.value.message_dict == {
            "return_date": [
                "Un ménage sous-loue encore ce logement après cette date : "
                "enregistrez d’abord sa sortie."
            ]
        }
    unit.refresh_from_db()
    assert unit.return_date is None
    # Returned on the last contract's first day out: nobody sublets it any more.
    unit_return(unit=unit, return_date=D(2025, 10, 1), reason="autre")
    unit.refresh_from_db()
    assert unit.return_date == D(2025, 10, 1)


# --- Screen ---------------------------------------------------------------------------------


@pytest.fixture
def social_worker_client(client, social_worker_a):
    client.force_login(social_worker_a.user)
    return client


@freeze_time("2024-03-01")
def test_free_spaces_default_to_today(social_worker_client, org_a, dispositif_a):
    shared = HousingUnitFactory(
        organisation=org_a, dispositif=dispositif_a, reference="LP-01", shared=True
    )
    RoomFactory(unit=shared, label="Chambre 1")
    RoomFactory(unit=shared, label="Chambre 2")
    HousingUnitFactory(organisation=org_a, reference="LATER", captation_date=D(2024, 3, 2))
    response = social_worker_client.get(reverse("tenancy:free_spaces"))
    html = body(response)
    assert 'value="2024-03-01"' in html
    assert "2 espaces libres</strong> · 2 places au 01/03/2024" in html
    assert "Chambre 1" in html and "Chambre 2" in html and "LATER" not in html
    html = body(social_worker_client.get(reverse("tenancy:free_spaces"), {"at": "2024-03-02"}))
    assert "LATER" in html and "logement entier" in html


def test_the_screen_subtracts_the_spaces_under_contract(social_worker_client, org_a):
    unit = HousingUnitFactory(organisation=org_a, reference="TAKEN", captation_date=D(2024, 1, 1))
    SubleaseContractFactory(organisation=org_a, unit=unit, start_date=D(2024, 2, 1))
    url = reverse("tenancy:free_spaces")
    assert "TAKEN" in body(social_worker_client.get(url, {"at": "2024-01-31"}))
    assert "TAKEN" not in body(social_worker_client.get(url, {"at": "2024-02-01"}))


def test_free_spaces_of_one_dispositif_on_the_screen(social_worker_client, org_a, dispositif_a):
    other = DispositifFactory(organisation=org_a)
    HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="MINE")
    HousingUnitFactory(organisation=org_a, dispositif=other, reference="OTHER")
    html = body(
        social_worker_client.get(
            reverse("tenancy:free_spaces"),
            {"at": "2024-03-01", "dispositif": str(dispositif_a.public_id)},
        )
    )
    assert "MINE" in html and "OTHER" not in html


def test_no_free_space_says_what_to_do(social_worker_client):
    html = body(social_worker_client.get(reverse("tenancy:free_spaces"), {"at": "2024-03-01"}))
    assert "Aucune place libre au 01/03/2024." in html


def test_a_bad_date_is_explained(social_worker_client):
    response = social_worker_client.get(reverse("tenancy:free_spaces"), {"at": "31/02/2024"})
    assert response.status_code == 200 and "Saisissez une date valide." in body(response)


def test_free_spaces_query_count_does_not_grow(
    social_worker_client, org_a, dispositif_a, django_assert_max_num_queries
):
    def grow(count):
        for unit in HousingUnitFactory.create_batch(
            count, organisation=org_a, dispositif=dispositif_a, shared=True
        ):
            RoomFactory(unit=unit)

    url = reverse("tenancy:free_spaces")
    grow(3)
    with django_assert_max_num_queries(13) as small:
        social_worker_client.get(url, {"at": "2024-03-01"})
    grow(37)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = social_worker_client.get(url, {"at": "2024-03-01"})
    assert len(response.context["spaces"]) == 40


def test_who_may_open_the_screen(client, members_a):
    url = reverse("tenancy:free_spaces")
    for role in Role:
        login(client, members_a[role])
        expected = 403 if role == Role.ADMIN else 200  # the roles that see the stock
        assert client.get(url).status_code == expected, role
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


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
    with django_assert_num_queries(1):
        cards = spaces.dashboard_cards(membership=members_a[Role.SOCIAL_WORKER])
    assert [(c.label, c.value, c.url_name) for c in cards] == [
        ("Places libres aujourd’hui", 6, "tenancy:free_spaces"),
    ]
    assert spaces.dashboard_cards(membership=members_a[Role.ADMIN]) == []


@freeze_time("2024-03-01")
def test_the_free_places_follow_the_stock_on_the_dashboard(client, members_a, org_a):
    HousingUnitFactory(organisation=org_a, places=4)
    login(client, members_a[Role.REGISSEUR])
    labels = [card.label for card in shown(client.get(reverse("dashboard")), "counts")]
    stock = labels.index("Logements en stock")
    assert labels[stock + 1] == "Places libres aujourd’hui"
    assert labels.index("Ménages en dette") > stock + 1


@pytest.mark.django_db
def test_an_admission_is_prefilled_with_what_the_space_s_last_household_signed(org_a, dispositif_a):
    from decimal import Decimal

    from tenancy.spaces import suggested_terms
    from tests.tenancy.factories import SubleaseContractFactory

    let_before = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                                    captation_date=datetime.date(2024, 1, 1))  # fmt: skip
    for start, rent in (
        (datetime.date(2024, 2, 1), "380.00"),
        (datetime.date(2024, 9, 1), "395.00"),
    ):
        SubleaseContractFactory(organisation=org_a, unit=let_before, start_date=start,
                                actual_end_date=start + datetime.timedelta(days=150),
                                rent=Decimal(rent), charges=Decimal("30.00"),
                                expected_housing_benefit=Decimal("210.00"))  # fmt: skip
    never_let = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                                   rent=Decimal("520.00"), charges=Decimal("45.00"),
                                   captation_date=datetime.date(2024, 1, 1))  # fmt: skip
    shared = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, shared=True,
                                captation_date=datetime.date(2024, 1, 1))  # fmt: skip
    RoomFactory(unit=shared, label="Chambre A")
    with freeze_time("2025-06-01"):
        free = spaces.free_spaces(at=datetime.date(2025, 6, 1), dispositif=dispositif_a)
        terms = suggested_terms(free)
    by_unit = {space.unit.pk: terms.get(space.key) for space in free}
    assert (by_unit[let_before.pk].rent, by_unit[let_before.pk].charges,
            by_unit[let_before.pk].expected_housing_benefit) == (
        Decimal("395.00"), Decimal("30.00"), Decimal("210.00"))  # the latest contract  # fmt: skip
    assert (by_unit[never_let.pk].rent, by_unit[never_let.pk].charges) == (
        Decimal("520.00"), Decimal("45.00"))  # what the operator pays  # fmt: skip
    assert by_unit[shared.pk] is None  # a room of a new shared flat: nothing to suggest
