import datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from iml.access_log import purge_access_log
from iml.models import AccessLog, Role
from iml.scoping import organisation_context
from tests.households.factories import HouseholdFactory, PersonFactory


@pytest.fixture
def household(org_a, dispositif_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True)
    PersonFactory(organisation=org_a, household=household)
    return household


@pytest.mark.django_db
def test_opening_a_household_or_a_person_is_logged(client, social_worker_a, household):
    client.force_login(social_worker_a.user)
    client.get(reverse("households:household_detail", args=[household.public_id]))
    person = household.persons.get()
    client.get(reverse("households:person_edit", args=[person.public_id]))
    entries = list(AccessLog.objects.order_by("at").values_list("user", "object_type", "object_id"))
    assert entries == [
        (social_worker_a.user_id, "household", household.public_id),
        (social_worker_a.user_id, "person", person.public_id),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.HEAD, Role.ADMIN])
def test_head_and_admin_read_the_log(client, members_a, social_worker_a, household, role):
    client.force_login(social_worker_a.user)
    client.get(reverse("households:household_detail", args=[household.public_id]))
    client.force_login(members_a[role].user)
    body = client.get(reverse("access_log")).content.decode()
    assert str(social_worker_a.user) in body and "consultation" in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.REGISSEUR])
def test_others_do_not(client, members_a, role):
    client.force_login(members_a[role].user)
    assert client.get(reverse("access_log")).status_code == 403


@pytest.mark.django_db
def test_list_has_a_constant_number_of_queries(
    client, head_a, household, org_a, django_assert_max_num_queries
):
    client.force_login(head_a.user)
    url = reverse("households:household_detail", args=[household.public_id])
    for _ in range(3):
        client.get(url)
    with django_assert_max_num_queries(11):
        client.get(reverse("access_log"))
    for _ in range(30):
        client.get(url)
    with django_assert_max_num_queries(11):
        client.get(reverse("access_log"))


@pytest.mark.django_db
def test_entries_older_than_a_year_are_purged_in_every_organisation(org_a, org_b, household):
    def log(organisation, at):
        with organisation_context(organisation):
            AccessLog.objects.create(
                organisation=organisation,
                action="view",
                object_type="household",
                object_id=household.public_id,
                path="/",
                at=at,
            )

    now = datetime.datetime(2026, 6, 1, 3, 45, tzinfo=datetime.UTC)
    for organisation in (org_a, org_b):
        log(organisation, now - datetime.timedelta(days=366))
        log(organisation, now - datetime.timedelta(days=300))
    with freeze_time(now):
        assert purge_access_log() == 2
    for organisation in (org_a, org_b):
        with organisation_context(organisation):
            assert AccessLog.objects.count() == 1
