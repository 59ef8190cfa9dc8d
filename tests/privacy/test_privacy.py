"""RGPD: right of access (export) and anonymisation after the retention period."""

import datetime
import io
import json

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from households.models import Household, HouseholdEvent, Person, PersonHistory
from iml.celery import app as celery_app
from iml.models import AccessLog, Role
from iml.scoping import organisation_context
from privacy.retention import apply_retention
from privacy.tasks import apply_retention_nightly
from tests.households.factories import HouseholdFactory, PersonFactory

D = datetime.date


@pytest.fixture
def household(org_a, dispositif_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="R-1",
                                 siao_reference="SIAO-80-1", present=True)  # fmt: skip
    PersonFactory(organisation=org_a, household=household, last_name="Haile",
                  first_name="Senait", birth_date=D(1991, 8, 23), nationality="ER")  # fmt: skip
    return household


@pytest.mark.django_db
def test_head_downloads_everything_held_as_json_and_pdf(client, head_a, household):
    client.force_login(head_a.user)
    response = client.get(reverse("privacy:household_export_json", args=[household.public_id]))
    data = json.loads(response.content)
    assert data["household"]["siao_reference"] == "SIAO-80-1"
    person = data["persons"][0]
    assert (person["last_name"], person["birth_date"], person["nationality"]) == (
        "Haile", "1991-08-23", "ER",
    )  # fmt: skip
    assert 'filename="menage-R-1-donnees.json"' in response["Content-Disposition"]

    response = client.get(reverse("privacy:household_export_pdf", args=[household.public_id]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Données détenues sur le ménage R-1" in text and "Haile Senait" in text
    # Each export is in the access log.
    assert AccessLog.objects.filter(action="export").count() == 2


def test_the_export_keeps_its_address_under_the_household():
    code = "6f1c2b1e-0d7a-4c39-9a57-5b0e4c1d2f30"
    assert reverse("privacy:household_export_json", args=[code]) == f"/menages/{code}/donnees.json"
    assert reverse("privacy:household_export_pdf", args=[code]) == f"/menages/{code}/donnees.pdf"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.REGISSEUR, Role.ADMIN])
def test_only_the_head_exports(client, members_a, household, role):
    client.force_login(members_a[role].user)
    url = reverse("privacy:household_export_json", args=[household.public_id])
    assert client.get(url).status_code == 403


@pytest.fixture
def exited(org_a, dispositif_a):
    household = HouseholdFactory(
        organisation=org_a, dispositif=dispositif_a, reference="OLD-1", siao_reference="S-9",
        orientation_date=D(2022, 1, 10),
        entry_date=D(2022, 3, 1), exit_date=D(2023, 1, 15), exit_destination="logement_social",
    )  # fmt: skip
    person = PersonFactory(organisation=org_a, household=household, last_name="Ahmadi",
                           first_name="Nasir", birth_date=D(1990, 5, 17))  # fmt: skip
    HouseholdEvent.objects.create(
        organisation=org_a, household=household, kind="person_left", date=D(2022, 9, 1),
        summary="Départ de Nasir Ahmadi", person=person,
    )  # fmt: skip
    return household


@pytest.mark.django_db
def test_nothing_changes_without_wet_run(exited):
    with freeze_time("2025-02-01"):
        call_command("apply_retention")
    assert Person.objects.get(household=exited).last_name == "Ahmadi"


@pytest.mark.django_db
def test_identities_are_anonymised_two_years_after_exit_and_still_counted(exited, household):
    with freeze_time("2025-01-15"):  # exactly two years: not yet
        assert apply_retention(wet_run=True)[0].households == 0
    with freeze_time("2025-01-16"):
        results = apply_retention(wet_run=True)
    assert [(r.organisation, r.households) for r in results] == [("alpha", 1)]
    person = Person.objects.get(household=exited)
    assert (person.last_name, person.first_name, person.birth_date) == (
        "Anonyme", "Personne 1", D(1990, 5, 1),
    )  # fmt: skip
    assert person.search_name == "personne 1 anonyme"
    exited.refresh_from_db()
    assert exited.anonymised_at and exited.siao_reference == ""
    assert set(HouseholdEvent.objects.filter(household=exited).values_list("summary", flat=True)) \
        == {"Départ d’une personne"}  # fmt: skip
    # No trace of the name is left in the trigger-kept history.
    assert not PersonHistory.objects.filter(last_name="Ahmadi").exists()
    # Past reports still count it: its dates, sex, nationality and destination remain.
    assert Household.objects.filter(exit_date__year=2023, exit_destination="logement_social")\
        .count() == 1  # fmt: skip
    assert person.nationality == "AF" and person.sex == "m"
    # The present household is untouched, and a second run does nothing more.
    assert Person.objects.get(household=household).last_name == "Haile"
    with freeze_time("2025-01-17"):
        assert apply_retention(wet_run=True)[0].households == 0


@pytest.mark.django_db
def test_the_nightly_task_anonymises_what_is_due(exited, household):
    with freeze_time("2025-01-16"):
        assert apply_retention_nightly() == 1
    assert Person.objects.get(household=exited).last_name == "Anonyme"
    assert Person.objects.get(household=household).last_name == "Haile"


def test_the_retention_runs_every_night_and_the_workbook_uploads_on_their_own():
    retention = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    assert retention["task"] == "privacy.tasks.apply_retention_nightly"
    assert retention["schedule"] == crontab(hour=4, minute=0)
    uploads = settings.CELERY_BEAT_SCHEDULE["purge-workbook-uploads"]
    assert uploads["task"] == "workbook.tasks.purge_uploads"
    # Every scheduled name is a task the worker knows: a renamed task fails here, not at night.
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry["task"]


@pytest.mark.django_db
def test_retention_follows_the_organisation_setting(exited, org_a):
    org_a.retention_identity_years = 5
    org_a.save()
    with freeze_time("2025-06-01"), organisation_context(None):
        assert apply_retention(wet_run=False)[0].households == 0
