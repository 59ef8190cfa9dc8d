"""The French error pages, with DEBUG too (``make run``), unless a developer asks for
Django's technical pages."""

import pytest
from django.urls import reverse

from iml.models import Role
from tests.conftest import login


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_wrong_address_shows_the_french_page(settings, client, members_a, debug):
    settings.DEBUG = debug
    login(client, members_a[Role.HEAD])
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body and "Retour au tableau de bord" in body
    assert "Using the URLconf" not in body


@pytest.mark.django_db
def test_a_missing_household_shows_the_french_page_with_debug(settings, client, members_a):
    settings.DEBUG = True
    login(client, members_a[Role.HEAD])
    url = reverse("households:household_detail", args=["00000000-0000-0000-0000-000000000000"])
    response = client.get(url)
    assert response.status_code == 404 and "Page introuvable" in response.content.decode()


@pytest.mark.django_db
def test_developers_may_ask_for_the_technical_pages(settings, client, members_a):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_PAGES = True
    login(client, members_a[Role.HEAD])
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404 and "Page introuvable" not in response.content.decode()
