import pytest
from django.core.management import call_command
from django.urls import reverse

from households.models import Household, HouseholdEvent, Person
from iml.demo import DEMO_PASSWORD, demo_logins
from iml.models import Dispositif, Membership, Organisation, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_login_reaches_its_dashboard(client):
    call_command("seed_demo")

    def counts():
        return {
            model.__name__: getattr(model, "all_organisations", model.objects).count()
            for model in [Organisation, User, Membership, Household, Person, HouseholdEvent]
        }

    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert (first["Organisation"], first["User"], first["Membership"]) == (2, 8, 8)

    bpi_households = Household.all_organisations.filter(organisation__slug="le-pont")
    assert bpi_households.with_status_filter("present").count() == 11
    assert bpi_households.with_status_filter("oriented").count() == 3
    # The BPI service houses single men in shared flats (seed 000).
    assert not Person.all_organisations.filter(
        household__organisation__slug="le-pont", role="enfant"
    ).exists()
    families = Household.all_organisations.filter(organisation__slug="apremis")
    assert families.with_status_filter("present").count() == 17
    assert Person.all_organisations.filter(
        household__organisation__slug="apremis", role="enfant"
    ).exists()
    destinations = set(
        Household.all_organisations.exclude(exit_destination="").values_list(
            "exit_destination", flat=True
        )
    )
    assert {"logement_social", "logement_accompagne", "tiers", "sans_adresse"} <= destinations
    bpi = Dispositif.all_organisations.get(organisation__slug="le-pont")
    assert (bpi.code, bpi.places, bpi.report_start_month) == ("IML-BPI", 12, 1)
    refugees = Dispositif.all_organisations.get(organisation__slug="apremis")
    assert (refugees.code, refugees.report_start_month) == ("IML-R", 11)

    for organisation, email, _ in demo_logins():
        client.logout()
        response = client.post(
            reverse("login"), {"username": email, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse("dashboard"), email
        assert organisation in response.content.decode()
