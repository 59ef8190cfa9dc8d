import pytest
from django.core.management import call_command
from django.urls import reverse

from iml.demo import DEMO_PASSWORD, demo_logins
from iml.models import Dispositif, Membership, Organisation, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_login_reaches_its_dashboard(client):
    call_command("seed_demo")
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.all_organisations.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.all_organisations.count(),
    )
    assert counts == (2, 8, 8)
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
