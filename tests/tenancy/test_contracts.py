"""Sublease contracts: one household per space at a time, enforced by PostgreSQL."""

import datetime
import threading
from decimal import Decimal

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from households.models import HouseholdStatus
from iml.rls import organisation_transaction
from tenancy.models import SubleaseContract
from tenancy.services import ContractTerms, admit_with_contract
from tenancy.spaces import free_spaces
from tests.factories import DispositifFactory, OrganisationFactory, UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory, RoomFactory

D = datetime.date
TERMS = ContractTerms(rent=Decimal("350.00"), charges=Decimal("40.00"),
                      expected_housing_benefit=Decimal("210.50"))  # fmt: skip


@pytest.fixture
def flat(org_a, dispositif_a):
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, shared=True,
                              captation_date=D(2024, 1, 1), places=2)  # fmt: skip
    return unit, RoomFactory(unit=unit, label="Chambre 1"), RoomFactory(unit=unit, label="Ch 2")


def household(org, dispositif, reference):
    h = HouseholdFactory(organisation=org, dispositif=dispositif, reference=reference,
                         orientation_date=D(2024, 12, 1))  # fmt: skip
    PersonFactory(organisation=org, household=h)
    return h


@pytest.mark.django_db
def test_admission_creates_the_contract_for_six_months(org_a, dispositif_a, flat, social_worker_a):
    unit, room, _ = flat
    h = household(org_a, dispositif_a, "H-1")
    contract = admit_with_contract(household=h, unit=unit, room=room, entry_date=D(2025, 8, 31),
                                   terms=TERMS, by=social_worker_a.user)  # fmt: skip
    h.refresh_from_db()
    assert h.status == HouseholdStatus.PRESENT and h.entry_date == D(2025, 8, 31)
    assert contract.initial_end_date == D(2026, 2, 28)  # six months, end of a short month
    assert contract.reference == "C2025-001" and contract.rent == Decimal("350.00")


@pytest.mark.django_db
def test_refused_contract_leaves_the_household_waiting(org_a, dispositif_a, flat, social_worker_a):
    unit, room, _ = flat
    first = household(org_a, dispositif_a, "H-1")
    admit_with_contract(household=first, unit=unit, room=None, entry_date=D(2025, 1, 1),
                        terms=TERMS, by=social_worker_a.user)  # fmt: skip
    second = household(org_a, dispositif_a, "H-2")
    with pytest.raises(ValidationError, match="déjà sous-loué"):
        admit_with_contract(household=second, unit=unit, room=room, entry_date=D(2025, 3, 1),
                            terms=TERMS, by=social_worker_a.user)  # fmt: skip
    second.refresh_from_db()
    assert second.entry_date is None and SubleaseContract.objects.count() == 1


@pytest.mark.django_db
class TestOverlapIsRefusedByTheDatabase:
    def make(self, org, dispositif, unit, room, start, end=None, ref="X"):
        return SubleaseContract.objects.create(
            organisation=org, household=household(org, dispositif, ref), unit=unit, room=room,
            reference=ref, start_date=start, initial_end_date=start + datetime.timedelta(183),
            actual_end_date=end, rent=Decimal("300"),
        )  # fmt: skip

    def refused(self, *args, **kwargs):
        with (
            pytest.raises(IntegrityError, match="subleasecontract_no_overlap"),
            transaction.atomic(),
        ):
            self.make(*args, **kwargs)

    def test_same_room(self, org_a, dispositif_a, flat):
        unit, room, _ = flat
        self.make(org_a, dispositif_a, unit, room, D(2025, 1, 1), ref="A")
        self.refused(org_a, dispositif_a, unit, room, D(2025, 6, 1), ref="B")

    def test_two_rooms_of_one_flat_are_fine(self, org_a, dispositif_a, flat):
        unit, room, other = flat
        self.make(org_a, dispositif_a, unit, room, D(2025, 1, 1), ref="A")
        self.make(org_a, dispositif_a, unit, other, D(2025, 1, 1), ref="B")

    def test_whole_unit_against_a_room_both_ways(self, org_a, dispositif_a, flat):
        unit, room, _ = flat
        self.make(org_a, dispositif_a, unit, room, D(2025, 1, 1), ref="A")
        self.refused(org_a, dispositif_a, unit, None, D(2025, 2, 1), ref="B")
        whole = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, shared=True,
                                   captation_date=D(2024, 1, 1))  # fmt: skip
        room_of_whole = RoomFactory(unit=whole)
        self.make(org_a, dispositif_a, whole, None, D(2025, 1, 1), ref="C")
        self.refused(org_a, dispositif_a, whole, room_of_whole, D(2025, 3, 1), ref="D")

    def test_the_end_date_is_the_first_day_out(self, org_a, dispositif_a, flat):
        unit, room, _ = flat
        self.make(org_a, dispositif_a, unit, room, D(2025, 1, 1), D(2025, 7, 1), ref="A")
        self.make(org_a, dispositif_a, unit, room, D(2025, 7, 1), ref="B")
        self.refused(org_a, dispositif_a, unit, room, D(2025, 6, 30), D(2025, 7, 1), ref="C")


@pytest.mark.django_db
def test_free_spaces_subtract_the_spaces_under_contract(org_a, dispositif_a, flat, social_worker_a):
    unit, room, other = flat
    admit_with_contract(household=household(org_a, dispositif_a, "H-1"), unit=unit, room=room,
                        entry_date=D(2025, 1, 1), terms=TERMS, by=social_worker_a.user)  # fmt: skip
    free = [space.room for space in free_spaces(at=D(2025, 2, 1), dispositif=dispositif_a)]
    assert free == [other]
    assert {space.room for space in free_spaces(at=D(2024, 12, 31))} == {room, other}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transactions_cannot_both_take_a_room():
    """Two real connections insert overlapping contracts at the same time: one wins."""
    org = OrganisationFactory(slug="concurrent")
    dispositif = DispositifFactory(organisation=org)
    unit = HousingUnitFactory(organisation=org, dispositif=dispositif, shared=True,
                              captation_date=D(2024, 1, 1))  # fmt: skip
    room = RoomFactory(unit=unit)
    households = [household(org, dispositif, f"H-{n}") for n in (1, 2)]
    user = UserFactory()
    settings_dict = connection.settings_dict
    conninfo = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
        "password": settings_dict["PASSWORD"] or None,
    }
    insert = (
        "INSERT INTO tenancy_subleasecontract (organisation_id, public_id, household_id, "
        "unit_id, room_id, reference, start_date, initial_end_date, rent, charges, deposit, "
        "expected_housing_benefit, towards_sliding_lease, created_by_id, created_at) VALUES "
        "(%s, gen_random_uuid(), %s, %s, %s, %s, %s, %s, 300, 0, 0, 0, false, %s, now())"
    )
    first_inserted = threading.Event()
    results: dict[str, str] = {}

    def take(name: str, household_id: int, start: datetime.date, wait: bool) -> None:
        with psycopg.connect(**{k: v for k, v in conninfo.items() if v}) as conn:
            try:
                with conn.transaction():
                    conn.execute(
                        "SELECT set_config('iml.organisation_id', %s, true)", [str(org.pk)]
                    )
                    if wait:
                        first_inserted.wait(10)
                    conn.execute(insert, [org.pk, household_id, unit.pk, room.pk, name, start,
                                          start + datetime.timedelta(183), user.pk])  # fmt: skip
                    if not wait:
                        first_inserted.set()
                        threading.Event().wait(0.5)  # hold the row while the other one tries
                results[name] = "ok"
            except psycopg.errors.ExclusionViolation:
                results[name] = "refused"

    threads = [
        threading.Thread(target=take, args=("first", households[0].pk, D(2025, 1, 1), False)),
        threading.Thread(target=take, args=("second", households[1].pk, D(2025, 3, 1), True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == {"first": "ok", "second": "refused"}
    with organisation_transaction(org):
        assert SubleaseContract.objects.count() == 1


@pytest.mark.django_db
def test_exit_ends_the_contract_and_frees_the_space(org_a, dispositif_a, flat, social_worker_a):
    from tenancy.services import exit_with_contracts

    unit, room, _ = flat
    first = household(org_a, dispositif_a, "H-1")
    contract = admit_with_contract(household=first, unit=unit, room=room,
                                   entry_date=D(2025, 1, 1), terms=TERMS,
                                   by=social_worker_a.user)  # fmt: skip
    exit_with_contracts(household=first, exit_date=D(2025, 9, 1),
                        destination="logement_social", by=social_worker_a.user)  # fmt: skip
    contract.refresh_from_db()
    assert contract.actual_end_date == D(2025, 9, 1)
    # The first day out is free for the next household.
    second = household(org_a, dispositif_a, "H-2")
    admit_with_contract(household=second, unit=unit, room=room, entry_date=D(2025, 9, 1),
                        terms=TERMS, by=social_worker_a.user)  # fmt: skip
    assert SubleaseContract.objects.filter(room=room).count() == 2


@pytest.mark.django_db
def test_household_page_shows_its_contract(client, org_a, dispositif_a, flat, social_worker_a):
    unit, room, _ = flat
    h = household(org_a, dispositif_a, "H-1")
    admit_with_contract(household=h, unit=unit, room=room, entry_date=D(2025, 1, 1),
                        terms=TERMS, by=social_worker_a.user)  # fmt: skip
    client.force_login(social_worker_a.user)
    from django.urls import reverse

    body = client.get(reverse("households:household_detail", args=[h.public_id])).content.decode()
    assert "C2025-001" in body and "Chambre 1" in body and "01/07/2025" in body
    assert "350,00\u00a0€" in body and "210,50\u00a0€" in body
