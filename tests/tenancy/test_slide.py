"""Bail glissant: the household keeps its home, the lease slides to its name."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from households.models import HouseholdStatus
from housing.services import unit_return
from tenancy.services import ContractTerms, admit_with_contract, contract_slide
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory, RoomFactory

D = datetime.date


def admitted(org, dispositif, unit, room, by, sliding=True):
    household = HouseholdFactory(organisation=org, dispositif=dispositif,
                                 orientation_date=D(2024, 1, 1))  # fmt: skip
    PersonFactory(organisation=org, household=household)
    terms = ContractTerms(rent=Decimal(420), towards_sliding_lease=sliding)
    return admit_with_contract(household=household, unit=unit, room=room,
                               entry_date=D(2024, 3, 1), terms=terms, by=by)  # fmt: skip


@pytest.mark.django_db
def test_the_slide_ends_the_contract_exits_the_household_and_returns_the_unit(
    org_a, dispositif_a, social_worker_a
):
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, parc="public",
                              captation_date=D(2023, 1, 1))  # fmt: skip
    contract = admitted(org_a, dispositif_a, unit, None, social_worker_a.user)
    contract = contract_slide(contract=contract, slide_date=D(2025, 6, 1),
                              by=social_worker_a.user, exit_support=("asll",))  # fmt: skip
    household = contract.household
    household.refresh_from_db()
    unit.refresh_from_db()
    assert contract.actual_end_date == D(2025, 6, 1)
    assert household.status == HouseholdStatus.EXITED and household.bail_glissant
    assert household.exit_destination == "logement_social" and household.exit_support == ["asll"]
    assert (unit.return_date, unit.return_reason) == (D(2025, 6, 1), "glissement_bail")


@pytest.mark.django_db
def test_only_a_whole_unit_marked_for_sliding_slides(org_a, dispositif_a, social_worker_a):
    flat = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, shared=True,
                              captation_date=D(2023, 1, 1))  # fmt: skip
    room_contract = admitted(org_a, dispositif_a, flat, RoomFactory(unit=flat),
                             social_worker_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="logement entier"):
        contract_slide(contract=room_contract, slide_date=D(2025, 6, 1), by=social_worker_a.user)
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2023, 1, 1))  # fmt: skip
    plain = admitted(org_a, dispositif_a, unit, None, social_worker_a.user, sliding=False)
    with pytest.raises(ValidationError, match="en vue d’un bail glissant"):
        contract_slide(contract=plain, slide_date=D(2025, 6, 1), by=social_worker_a.user)
    plain.household.refresh_from_db()
    assert plain.household.status == HouseholdStatus.PRESENT


@pytest.mark.django_db
def test_a_unit_still_sublet_cannot_be_returned(org_a, dispositif_a, social_worker_a):
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2023, 1, 1))  # fmt: skip
    admitted(org_a, dispositif_a, unit, None, social_worker_a.user)
    with pytest.raises(ValidationError, match="sous-loue encore"):
        unit_return(unit=unit, return_date=D(2025, 1, 1), reason="reprise_proprietaire")
    unit.refresh_from_db()
    assert unit.return_date is None
