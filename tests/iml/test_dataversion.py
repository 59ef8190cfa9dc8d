"""Cached aggregates (iml.dataversion): served until the organisation's next write."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from iml import dataversion
from iml.codes import LedgerKind
from iml.models import Role
from iml.rls import organisation_transaction
from tenancy.money import debt_totals
from tests.conftest import login
from tests.tenancy.factories import LedgerEntryFactory, SubleaseContractFactory


@pytest.fixture
def cache_on(settings):
    settings.IML_AGGREGATE_CACHE = True
    # Test databases reuse organisation ids: entries of an earlier run must not be met.
    dataversion.forget_all()


def _owe(contract, amount):
    LedgerEntryFactory(
        organisation=contract.organisation, contract=contract, kind=LedgerKind.DEGRADATION,
        debit=Decimal(amount), credit=Decimal("0"), method="", number="",
    )  # fmt: skip


def test_cached_until_touched(cache_on, org_a, org_b):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert dataversion.cached(org_a.pk, "x", compute, 1) == 1
    assert dataversion.cached(org_a.pk, "x", compute, 1) == 1  # served from the cache
    assert dataversion.cached(org_a.pk, "x", compute, 2) == 2  # other parts, other entry
    dataversion.touch(org_b.pk)
    assert dataversion.cached(org_a.pk, "x", compute, 1) == 1  # another organisation's write
    dataversion.touch(org_a.pk)
    assert dataversion.cached(org_a.pk, "x", compute, 1) == 3
    dataversion.forget_all()
    assert dataversion.cached(org_a.pk, "x", compute, 1) == 4


def test_off_computes_every_time(settings, org_a):
    settings.IML_AGGREGATE_CACHE = False
    values = iter([1, 2])
    assert dataversion.cached(org_a.pk, "x", lambda: next(values)) == 1
    assert dataversion.cached(org_a.pk, "x", lambda: next(values)) == 2


def test_a_write_request_retires_the_cached_debts(
    cache_on, org_a, members_a, client, django_capture_on_commit_callbacks
):
    contract = SubleaseContractFactory(organisation=org_a)
    _owe(contract, "300.00")
    assert debt_totals()["owed"] == Decimal("300.00")
    _owe(contract, "50.00")  # written behind the application's back: not seen yet
    assert debt_totals()["owed"] == Decimal("300.00")
    login(client, members_a[Role.HEAD])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("dashboard"))  # a read changes nothing
    assert debt_totals()["owed"] == Decimal("300.00")
    with django_capture_on_commit_callbacks(execute=True):
        # Any request that may write, whatever its answer, retires the organisation's token.
        client.post(reverse("alert_list"))
    assert debt_totals()["owed"] == Decimal("350.00")


def test_a_task_transaction_retires_the_cached_debts(
    cache_on, org_a, django_capture_on_commit_callbacks
):
    contract = SubleaseContractFactory(organisation=org_a)
    _owe(contract, "120.00")
    assert debt_totals()["owed"] == Decimal("120.00")
    with django_capture_on_commit_callbacks(execute=True), organisation_transaction(org_a):
        _owe(contract, "30.00")
    assert debt_totals()["owed"] == Decimal("150.00")


def test_the_report_page_computes_the_figures_once(cache_on, org_a, members_a, client,
                                                   monkeypatch):  # fmt: skip
    from reporting import services
    from tests.factories import DispositifFactory

    DispositifFactory(organisation=org_a)
    computed = []
    real = services.compute_report

    def counting(*args):
        computed.append(args)
        return real(*args)

    monkeypatch.setattr(services, "compute_report", counting)
    login(client, members_a[Role.HEAD])
    assert client.get(reverse("reporting:report_page")).status_code == 200
    assert len(computed) == 2  # the period and the one before, for the comparison
    assert client.get(reverse("reporting:report_page")).status_code == 200
    assert len(computed) == 2


def _membership_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q["sql"] for q in queries if q["sql"].startswith('SELECT "iml_membership"')]


def test_memberships_are_read_once_until_one_changes(cache_on, client, members_a, org_a):
    """The middleware's memberships come from the cache; a deactivated membership or
    organisation takes effect on the next request."""
    worker = members_a[Role.SOCIAL_WORKER]
    login(client, worker)
    url = reverse("households:household_list")
    response, first = _membership_queries(client, url)
    assert response.status_code == 200 and len(first) == 1
    response, second = _membership_queries(client, url)
    assert response.status_code == 200 and second == []
    worker.is_active = False
    worker.save()
    response, third = _membership_queries(client, url)
    assert response.status_code != 200 and len(third) == 1
    worker.is_active = True
    worker.save()
    assert client.get(url).status_code == 200
    org_a.is_active = False
    org_a.save()
    assert client.get(url).status_code != 200


def test_the_user_is_read_once_until_it_changes(cache_on, client, members_a):
    """``iml.auth`` serves the session's user from the cache; a deactivation or "log out
    everywhere" (an update, no signal) ends the session on the next request."""
    worker = members_a[Role.SOCIAL_WORKER]
    login(client, worker)
    url = reverse("households:household_list")

    def user_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return response, [q for q in queries if q["sql"].startswith('SELECT "iml_user"."id"')]

    assert client.get(url).status_code == 200
    response, queries = user_queries()
    assert response.status_code == 200 and queries == []
    user = worker.user
    user.is_active = False
    user.save()
    assert client.get(url).status_code == 302  # to the login page
    user.is_active = True
    user.save()
    login(client, worker)
    assert client.get(url).status_code == 200
    client.post(reverse("logout_everywhere"))
    assert client.get(url).status_code == 302
