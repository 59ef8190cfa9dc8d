"""Renewals by amendment, six months at a time; beyond 18 months of stay, justified."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from households.stays import current_end
from tenancy.models import Amendment, SubleaseContractHistory
from tenancy.services import ContractTerms, admit_with_contract, contract_renew
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory

D = datetime.date


@pytest.fixture
def contract(org_a, dispositif_a, social_worker_a):
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2023, 1, 1))  # fmt: skip
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a,
                                 orientation_date=D(2024, 1, 1))  # fmt: skip
    PersonFactory(organisation=org_a, household=household)
    return admit_with_contract(household=household, unit=unit, room=None,
                               entry_date=D(2024, 3, 1), terms=ContractTerms(rent=Decimal(400)),
                               by=social_worker_a.user)  # fmt: skip


@pytest.mark.django_db
def test_two_renewals_reach_eighteen_months_then_a_justification_is_needed(
    contract, social_worker_a
):
    by = social_worker_a.user
    first = contract_renew(contract=contract, signed_on=D(2024, 8, 20), by=by)
    second = contract_renew(contract=contract, signed_on=D(2025, 2, 20), by=by)
    assert (first.number, first.new_end_date) == (1, D(2025, 3, 1))
    assert (second.number, second.new_end_date, second.beyond_limit) == (2, D(2025, 9, 1), False)

    with pytest.raises(ValidationError, match="justification écrite est obligatoire"):
        contract_renew(contract=contract, signed_on=D(2025, 8, 20), by=by)
    assert Amendment.objects.count() == 2

    reason = "Relogement OPAC attribué, entrée en décembre."
    third = contract_renew(contract=contract, signed_on=D(2025, 8, 20), by=by, justification=reason)
    assert third.beyond_limit and third.new_end_date == D(2026, 3, 1)
    assert current_end(contract) == D(2026, 3, 1)


@pytest.mark.django_db
def test_an_ended_contract_is_not_renewed(contract, social_worker_a):
    contract.actual_end_date = D(2024, 6, 1)
    contract.save()
    with pytest.raises(ValidationError, match="terminé"):
        contract_renew(contract=contract, signed_on=D(2024, 5, 1), by=social_worker_a.user)


@pytest.mark.django_db
def test_the_database_refuses_an_unjustified_flagged_amendment(contract, social_worker_a):
    amendment = contract_renew(contract=contract, signed_on=D(2024, 8, 1), by=social_worker_a.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Amendment.objects.filter(pk=amendment.pk).update(beyond_limit=True)


@pytest.mark.django_db
def test_contract_changes_are_in_the_history(contract):
    contract.actual_end_date = D(2024, 9, 1)
    contract.save()
    labels = list(
        SubleaseContractHistory.objects.filter(pgh_obj=contract)
        .order_by("pgh_id")
        .values_list("pgh_label", "actual_end_date")
    )
    assert labels == [("insert", None), ("update", D(2024, 9, 1))]
