"""Every change of a household or person is kept by database triggers, with who and when."""

import pytest
from django.urls import reverse

from households.models import Household, HouseholdHistory, PersonHistory
from iml.scoping import organisation_context
from tests.households.factories import HouseholdFactory, PersonFactory


@pytest.mark.django_db
def test_a_change_through_the_app_records_old_and_new_values_and_who(
    client, org_a, social_worker_a, dispositif_a
):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="H-1")
    client.force_login(social_worker_a.user)
    client.post(
        reverse("households:household_edit", args=[household.public_id]),
        {"dispositif": dispositif_a.pk, "reference": "H-1", "orientation_date": "2025-01-10",
         "reinforced_support": "on"},
    )  # fmt: skip
    rows = list(HouseholdHistory.objects.filter(pgh_obj=household).order_by("pgh_id"))
    assert [row.pgh_label for row in rows] == ["insert", "update"]
    assert (rows[0].reinforced_support, rows[1].reinforced_support) == (False, True)
    assert rows[1].pgh_context["user"] == social_worker_a.user.pk
    assert rows[1].pgh_created_at is not None


@pytest.mark.django_db
def test_bulk_updates_are_recorded_too(org_a):
    person = PersonFactory(organisation=org_a, first_name="Awa")
    from households.models import Person

    Person.objects.filter(pk=person.pk).update(first_name="Aïcha")
    names = list(
        PersonHistory.objects.filter(pgh_obj=person)
        .order_by("pgh_id")
        .values_list("pgh_label", "first_name")
    )
    assert names == [("insert", "Awa"), ("update", "Aïcha")]


@pytest.mark.django_db
def test_history_is_under_row_level_security(org_a, org_b):
    HouseholdFactory(organisation=org_b, reference="B-1")
    HouseholdFactory(organisation=org_a, reference="A-1")
    with organisation_context(org_a):
        assert list(HouseholdHistory.objects.values_list("reference", flat=True)) == ["A-1"]
    with organisation_context(org_b):
        assert list(HouseholdHistory.objects.values_list("reference", flat=True)) == ["B-1"]
    assert Household.all_organisations.count() == 1  # A's context in the test body
