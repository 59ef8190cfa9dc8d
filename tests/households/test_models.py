"""The database refuses what must never be true, whatever the code path."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from households.models import Household, Person, ResourceRecord, fold
from tests.households.factories import HouseholdFactory, PersonFactory, ResourceRecordFactory

D = datetime.date


def refused(model, pk, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.all_organisations.filter(pk=pk).update(**values)


@pytest.mark.django_db
def test_household_dates_and_codes(org_a):
    household = HouseholdFactory(organisation=org_a, present=True)
    refused(Household, household.pk, entry_date=D(2024, 1, 1))  # before orientation
    refused(Household, household.pk, exit_date=D(2025, 2, 1), exit_destination="tiers")
    refused(Household, household.pk, exit_destination="tiers")  # destination without exit
    refused(Household, household.pk, prior_situation="prison")
    refused(Household, household.pk, exit_support=["agir", "inconnu"])
    refused(
        Household,
        household.pk,
        exit_date=D(2025, 6, 1),
        exit_destination="tiers",
        bail_glissant=True,
    )
    refused(Household, household.pk, withdrawal_date=D(2025, 2, 1), withdrawal_reason="autre")


@pytest.mark.django_db
def test_withdrawal_needs_a_date_and_may_lack_its_reason(org_a):
    """A reason needs a date; a date without reason is imported history (« inconnu »)."""
    household = HouseholdFactory(organisation=org_a)
    refused(Household, household.pk, withdrawal_reason="autre")
    refused(Household, household.pk, withdrawal_date=D(2025, 1, 1))  # before the orientation
    Household.all_organisations.filter(pk=household.pk).update(withdrawal_date=D(2025, 2, 1))
    Household.all_organisations.filter(pk=household.pk).update(
        withdrawal_date=D(2025, 2, 1), withdrawal_reason="autre"
    )


@pytest.mark.django_db
def test_the_orientation_date_may_be_unknown(org_a):
    household = HouseholdFactory(
        organisation=org_a, orientation_date=None, entry_date=D(2025, 3, 1)
    )
    assert household.days_waited() is None


@pytest.mark.django_db
def test_household_reference_is_unique_per_organisation(org_a, org_b):
    HouseholdFactory(organisation=org_a, reference="M-1")
    HouseholdFactory(organisation=org_b, reference="M-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(organisation=org_a, reference="M-1")


@pytest.mark.django_db
def test_person_rules(org_a):
    person = PersonFactory(organisation=org_a)
    refused(Person, person.pk, sex="z")
    refused(Person, person.pk, role="chef")
    refused(Person, person.pk, joined_date=D(2025, 5, 1), left_date=D(2025, 4, 1))
    refused(Person, person.pk, joined_date=D(1980, 1, 1))  # before birth
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(organisation=org_a, household=person.household, role="referent")


@pytest.mark.django_db
def test_resources_codes(org_a):
    record = ResourceRecordFactory(organisation=org_a)
    refused(ResourceRecord, record.pk, resources=[])
    refused(ResourceRecord, record.pk, resources=["aucune", "rsa"])
    refused(ResourceRecord, record.pk, resources=["loto"])


def test_fold_ignores_accents_case_and_spaces():
    assert fold("  Éloïse   MÜLLER ") == "eloise muller"
