"""Blocks of pages read from the cache (iml.fragments): the same page as without the cache,
until the organisation's next committed write, per role, per day, per organisation."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from iml import dataversion
from iml.models import Role
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory
from tests.reporting.example_figures import patch_compute

LIST = reverse("households:household_list")


@pytest.fixture
def cache_on(settings):
    settings.IML_AGGREGATE_CACHE = True
    # Test databases reuse organisation ids: entries of an earlier run must not be met.
    dataversion.forget_all()


def _unmasked_text(body: str) -> str:
    """A page without its CSRF tokens (masked afresh on every request)."""
    return re.sub(r"[A-Za-z0-9]{64}", "", body)


def _unmasked(response) -> str:
    return _unmasked_text(response.content.decode())


def _write(client, capture):
    """Any request that may write retires the organisation's token at commit."""
    with capture(execute=True):
        client.post(reverse("alert_list"))


def test_a_list_is_served_from_the_cache_until_a_write(
    cache_on, org_a, dispositif_a, members_a, client, django_capture_on_commit_callbacks
):
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="M-1")
    login(client, members_a[Role.HEAD])
    assert "M-1" in client.get(LIST).content.decode()
    # Written behind the application's back: the cached block does not know it yet…
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="M-2")
    assert "M-2" not in client.get(LIST).content.decode()
    # … any write through the application retires it.
    _write(client, django_capture_on_commit_callbacks)
    body = client.get(LIST).content.decode()
    assert "M-1" in body and "M-2" in body


def test_each_address_has_its_own_block(cache_on, org_a, dispositif_a, members_a, client):
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="M-1",
                     present=True)  # fmt: skip
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="M-2")
    login(client, members_a[Role.HEAD])
    assert "M-2" in client.get(LIST).content.decode()
    filtered = client.get(LIST, {"status": "present"}).content.decode()
    assert "M-1" in filtered and "M-2" not in filtered


def test_each_role_has_its_own_block(cache_on, org_a, dispositif_a, members_a):
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="M-1")
    head = login(Client(), members_a[Role.HEAD]).get(LIST).content.decode()
    regisseur = login(Client(), members_a[Role.REGISSEUR]).get(LIST).content.decode()
    orient = reverse("households:household_orient")
    assert f'href="{orient}"' in head and f'href="{orient}"' not in regisseur
    assert "M-1" in regisseur


def test_each_organisation_has_its_own_block(
    cache_on, org_a, org_b, dispositif_a, members_a, members_b
):
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="ALPHA-1")
    assert "ALPHA-1" in login(Client(), members_a[Role.HEAD]).get(LIST).content.decode()
    assert "ALPHA-1" not in login(Client(), members_b[Role.HEAD]).get(LIST).content.decode()


def test_a_new_day_is_a_new_block(cache_on, org_a, dispositif_a, members_a, client):
    import datetime

    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="W-1",
                     orientation_date=datetime.date(2026, 2, 1))  # fmt: skip
    login(client, members_a[Role.HEAD])
    waiting = reverse("households:waiting_list")
    # The waiting list counts days, up to the last (a leap year's 29 February too).
    with freeze_time("2028-02-28 12:00"):
        first = client.get(waiting).content.decode()
    with freeze_time("2028-02-28 20:00"):
        assert _unmasked(client.get(waiting)) == _unmasked_text(first)
    with freeze_time("2028-02-29 12:00"):
        second = client.get(waiting).content.decode()
    pattern = r'data-label="Jours d’attente" class="num">(\d+)<'
    days = [re.search(pattern, body).group(1) for body in (first, second)]
    assert int(days[1]) == int(days[0]) + 1


def test_the_navigation_follows_a_renamed_user(
    cache_on, org_a, members_a, client, django_capture_on_commit_callbacks
):
    head = members_a[Role.HEAD]
    login(client, head)
    assert head.user.get_short_name() in client.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        head.user.first_name = "Renommée"
        head.user.save()
    assert "Renommée" in client.get(LIST).content.decode()


@freeze_time("2024-12-05 10:00:00")
def test_a_cached_form_carries_each_request_s_own_csrf_token(
    cache_on, org_a, dispositif_a, members_a, monkeypatch
):
    """The report page's forms are in its cached block: a second head, served the block the
    first one filled, posts with her own token."""
    patch_compute(monkeypatch)
    dispositif_a.report_start_month = 11
    dispositif_a.save()
    second = MembershipFactory(organisation=org_a, role=Role.HEAD)
    page = reverse("reporting:report_page")
    query = {"dispositif": dispositif_a.public_id, "du": "2023-11-01", "au": "2024-10-31"}
    tokens = []
    for membership in (members_a[Role.HEAD], second):
        client = login(Client(enforce_csrf_checks=True), membership)
        body = client.get(page, query).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        assert "imlCsrfTokenPlaceholder" not in body
        tokens.append(token)
        saved = client.post(
            reverse("reporting:narrative_save"),
            {**query, "mission": f"Écrit par {membership.user.pk}",
             "csrfmiddlewaretoken": token},
        )  # fmt: skip
        assert saved.status_code == 302
    assert tokens[0] != tokens[1]


@freeze_time("2024-12-05 10:00:00")
def test_a_form_shown_with_its_errors_is_never_the_cached_block(
    cache_on, org_a, dispositif_a, members_a, client, monkeypatch
):
    patch_compute(monkeypatch)
    dispositif_a.report_start_month = 11
    dispositif_a.save()
    login(client, members_a[Role.HEAD])
    query = {"dispositif": dispositif_a.public_id, "du": "2023-11-01", "au": "2024-10-31"}
    client.get(reverse("reporting:report_page"), query)  # the block is cached
    refused = client.post(
        reverse("reporting:narrative_save"), {**query, "mission": "Tapé", "staff_etp": "-3"}
    )
    assert refused.status_code == 200 and "Tapé" in refused.content.decode()
    # And the refused text did not enter the cache.
    assert "Tapé" not in client.get(reverse("reporting:report_page"), query).content.decode()


def test_a_removed_second_factor_is_not_served_from_the_cache(
    cache_on, org_a, members_a, client, django_capture_on_commit_callbacks
):
    from django_otp.plugins.otp_static.models import StaticDevice

    login(client, members_a[Role.HEAD])
    assert client.get(LIST).wsgi_request.user.is_verified()
    assert client.get(LIST).wsgi_request.user.is_verified()  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        StaticDevice.objects.filter(user=members_a[Role.HEAD].user).delete()
    assert not client.get(LIST).wsgi_request.user.is_verified()


@freeze_time("2024-12-05 10:00:00")
def test_cached_pages_show_what_uncached_pages_show(
    settings, org_a, dispositif_a, members_a, client, monkeypatch
):
    """Each page of the CPU budget, rendered without the cache, then filling it, then read
    from it: the same page (but for the CSRF tokens, masked afresh on every request)."""
    from tests.tenancy.factories import LedgerEntryFactory, SubleaseContractFactory

    patch_compute(monkeypatch)
    dispositif_a.report_start_month = 11
    dispositif_a.save()
    contract = SubleaseContractFactory(organisation=org_a)
    household = contract.household
    LedgerEntryFactory(organisation=org_a, contract=contract)
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="W-1")
    login(client, members_a[Role.HEAD])
    report = {"dispositif": dispositif_a.public_id, "du": "2023-11-01", "au": "2024-10-31"}
    pages = [
        (LIST, {}),
        (LIST, {"status": "present"}),
        (reverse("households:household_detail", args=[household.public_id]), {}),
        (reverse("tenancy:household_account", args=[household.public_id]), {}),
        (reverse("households:waiting_list"), {}),
        (reverse("housing:unit_list"), {}),
        (reverse("dashboard"), {}),
        (reverse("reporting:report_page"), report),
    ]
    settings.IML_AGGREGATE_CACHE = False
    plain = [_unmasked(client.get(path, query)) for path, query in pages]
    settings.IML_AGGREGATE_CACHE = True
    dataversion.forget_all()
    filling = [_unmasked(client.get(path, query)) for path, query in pages]
    cached = [_unmasked(client.get(path, query)) for path, query in pages]
    for (path, _), expected, first, second in zip(pages, plain, filling, cached, strict=True):
        assert first == expected, path
        assert second == expected, path


def test_no_block_is_cached_in_development(
    cache_on, settings, org_a, dispositif_a, members_a, client
):
    """With DEBUG (``make run``), a template just edited shows at once."""
    settings.DEBUG = True
    login(client, members_a[Role.HEAD])
    client.get(LIST)
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="M-9")
    assert "M-9" in client.get(LIST).content.decode()


def test_a_migration_retires_every_block(cache_on, org_a):
    """Every deployment migrates: a new release's templates are not met by old blocks."""
    from django.apps import apps

    from iml.apps import retire_caches

    before = dataversion.token(org_a.pk)
    retire_caches(sender=apps.get_app_config("iml"))
    assert dataversion.token(org_a.pk) != before
