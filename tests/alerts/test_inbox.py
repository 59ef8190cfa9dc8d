"""The alert inbox: who sees which alert, filters, "seen", the dashboard's summary and the
navigation badge."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from alerts.context_processors import alert_badge
from alerts.models import Alert, AlertKind, AlertLevel, AlertStatus
from alerts.selectors import visible_alerts
from iml import dataversion
from iml.context_processors import organisation as context_processor
from iml.models import Dispositif, Role
from iml.rls import organisation_transaction
from tests.alerts.samples import AlertFactory
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory

D = datetime.date
LIST = reverse("alert_list")


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20 09:00"):
        yield


@pytest.fixture
def other_worker_a(org_a):
    return MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER,
                             user__email="collegue@alpha.example")  # fmt: skip


@pytest.fixture
def alerts(org_a, members_a, other_worker_a):
    """One alert per case of visibility, on households with telling references."""
    worker = members_a[Role.SOCIAL_WORKER].user

    def make(reference, **kwargs):
        household = HouseholdFactory(organisation=org_a, reference=reference, present=True)
        return AlertFactory(organisation=org_a, household=household, **kwargs)

    return {
        "mine": make("M-MINE", assignee=worker, overdue=True, due_date=D(2025, 6, 1)),
        "team": make("M-TEAM", due_date=D(2025, 7, 1)),
        "money": make("M-MONEY", debt=True, due=True, due_date=D(2025, 6, 20)),
        "colleague": make("M-COLLEAGUE", assignee=other_worker_a.user, due=True),
        "mine_resolved": make("M-RESOLVED", assignee=worker, resolved=True),
    }


def references(response) -> list[str]:
    return [alert.household.reference for alert in response.context["page"].object_list]


# --- Who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.HEAD, ["M-MINE", "M-MONEY", "M-COLLEAGUE", "M-TEAM"]),
        (Role.SOCIAL_WORKER, ["M-MINE", "M-TEAM"]),
        (Role.REGISSEUR, ["M-MONEY"]),
    ],
)
def test_each_role_sees_its_alerts_most_urgent_first(client, members_a, alerts, role, expected):
    login(client, members_a[role])
    response = client.get(LIST)
    assert response.status_code == 200
    assert references(response) == expected
    body = response.content.decode()
    assert "Marquer comme vue" in body
    assert alerts["mine"].household.get_absolute_url() in body or role == Role.REGISSEUR


def test_visible_alerts_is_the_rule_everywhere(members_a, alerts, other_worker_a):
    mine = {a.household.reference for a in visible_alerts(members_a[Role.SOCIAL_WORKER])}
    assert mine == {"M-MINE", "M-TEAM", "M-RESOLVED"}
    assert {a.household.reference for a in visible_alerts(other_worker_a)} == {
        "M-COLLEAGUE",
        "M-TEAM",
    }
    assert not visible_alerts(members_a[Role.ADMIN]).exists()
    assert visible_alerts(members_a[Role.HEAD]).count() == 5


def test_admin_has_no_inbox(client, members_a, alerts):
    login(client, members_a[Role.ADMIN])
    assert client.get(LIST).status_code == 403
    url = reverse("alert_mark_seen", args=[alerts["team"].public_id])
    assert client.post(url).status_code == 403
    body = client.get(reverse("dashboard")).content.decode()
    assert LIST not in body and "Alertes à traiter" not in body


def test_another_organisations_alerts_are_never_listed(client, org_b, members_b, alerts):
    AlertFactory(organisation=org_b, household__reference="M-BETA")
    login(client, members_b[Role.HEAD])
    response = client.get(LIST + "?status=toutes")
    assert references(response) == ["M-BETA"]


# --- Filters ----------------------------------------------------------------------------------


def test_filters_by_status_level_and_kind(client, members_a, alerts):
    login(client, members_a[Role.SOCIAL_WORKER])
    assert references(client.get(LIST, {"status": "resolue"})) == ["M-RESOLVED"]
    assert references(client.get(LIST, {"status": "toutes"})) == [
        "M-MINE",
        "M-TEAM",
        "M-RESOLVED",
    ]
    assert references(client.get(LIST, {"level": AlertLevel.OVERDUE})) == ["M-MINE"]
    assert references(client.get(LIST, {"kind": AlertKind.DEBT})) == []
    login(client, members_a[Role.HEAD])
    assert references(client.get(LIST, {"kind": AlertKind.DEBT})) == ["M-MONEY"]
    response = client.get(LIST, {"kind": AlertKind.DEBT, "level": AlertLevel.WARNING})
    assert references(response) == []
    assert "Aucune alerte ne correspond à ces filtres" in response.content.decode()


def test_seen_alerts_stay_listed_by_default(client, members_a, alerts):
    AlertFactory(organisation=alerts["team"].organisation, household__reference="M-SEEN",
                 seen=True, due_date=D(2025, 8, 1))  # fmt: skip
    login(client, members_a[Role.SOCIAL_WORKER])
    assert references(client.get(LIST)) == ["M-MINE", "M-TEAM", "M-SEEN"]
    assert references(client.get(LIST, {"status": "vue"})) == ["M-SEEN"]
    assert references(client.get(LIST, {"status": "ouverte"})) == ["M-MINE", "M-TEAM"]


def test_a_bad_filter_is_ignored_and_said(client, members_a, alerts):
    login(client, members_a[Role.SOCIAL_WORKER])
    response = client.get(LIST, {"level": "<script>", "status": "nimporte"})
    assert response.status_code == 200
    assert references(response) == ["M-MINE", "M-TEAM"]
    assert "n’est pas appliqué" in response.content.decode()


def test_empty_inbox_says_what_to_expect(client, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    assert "Aucune alerte à traiter" in client.get(LIST).content.decode()


def test_list_is_paginated_with_constant_queries(
    client, org_a, members_a, django_assert_max_num_queries
):
    worker = members_a[Role.SOCIAL_WORKER]
    login(client, worker)
    AlertFactory.create_batch(3, organisation=org_a, assignee=worker.user)
    with django_assert_max_num_queries(10):
        assert len(client.get(LIST).context["page"].object_list) == 3
    AlertFactory.create_batch(27, organisation=org_a)
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.count == 30
    assert len(client.get(LIST, {"page": 2}).context["page"].object_list) == 5


# --- Seen -----------------------------------------------------------------------------------


def test_mark_seen_then_back_to_the_same_page(client, members_a, alerts):
    login(client, members_a[Role.SOCIAL_WORKER])
    alert = alerts["mine"]
    url = reverse("alert_mark_seen", args=[alert.public_id])
    response = client.post(url, {"next": LIST + "?level=overdue"})
    assert response.status_code == 302 and response["Location"] == LIST + "?level=overdue"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SEEN
    assert alert.seen_at == datetime.datetime(2025, 6, 20, 9, 0, tzinfo=datetime.UTC)
    # Still in the inbox, without its button.
    body = client.get(LIST).content.decode()
    assert "M-MINE" in body and url not in body


def test_mark_seen_with_htmx_returns_the_row(client, members_a, alerts):
    login(client, members_a[Role.REGISSEUR])
    alert = alerts["money"]
    response = client.post(reverse("alert_mark_seen", args=[alert.public_id]),
                           {"next": LIST}, HTTP_HX_REQUEST="true")  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr id="alerte-{alert.public_id}"')
    assert "M-MONEY" in body and "vue le 20/06/2025" in body and "Marquer comme vue" not in body


def test_mark_seen_leaves_resolved_alerts_and_offsite_next_alone(client, members_a, alerts):
    login(client, members_a[Role.SOCIAL_WORKER])
    alert = alerts["mine_resolved"]
    url = reverse("alert_mark_seen", args=[alert.public_id])
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == LIST
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.seen_at is None
    assert client.get(url).status_code == 405


def test_an_alert_the_user_cannot_see_is_not_found(client, org_b, members_a, alerts):
    other_organisation = AlertFactory(organisation=org_b)
    login(client, members_a[Role.SOCIAL_WORKER])
    for alert in (alerts["colleague"], alerts["money"], other_organisation):
        url = reverse("alert_mark_seen", args=[alert.public_id])
        assert client.post(url).status_code == 404
        with organisation_transaction(alert.organisation):
            assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_another_organisation_cannot_mark_an_alert(client, members_b, alerts):
    url = reverse("alert_mark_seen", args=[alerts["team"].public_id])
    for role in (Role.HEAD, Role.SOCIAL_WORKER, Role.REGISSEUR):
        login(client, members_b[role])
        assert client.post(url).status_code == 404
    alerts["team"].refresh_from_db()
    assert alerts["team"].status == AlertStatus.OPEN


# --- Dashboard and badge --------------------------------------------------------------------


def test_dashboard_counts_and_most_urgent(client, org_a, members_a, alerts):
    AlertFactory.create_batch(4, organisation=org_a, due_date=D(2025, 9, 1))
    AlertFactory(organisation=org_a, seen=True, overdue=True, household__reference="M-SEEN")
    login(client, members_a[Role.HEAD])
    response = client.get(reverse("dashboard"))
    inbox = response.context["inbox"]
    assert (inbox.overdue, inbox.due, inbox.warning) == (2, 2, 5)
    assert [a.household.reference for a in inbox.urgent] == [
        "M-MINE",
        "M-SEEN",
        "M-MONEY",
        "M-COLLEAGUE",
        "M-TEAM",
    ]
    body = response.content.decode()
    assert "Alertes à traiter" in body and "Voir les 9 alertes à traiter" in body
    login(client, members_a[Role.REGISSEUR])
    inbox = client.get(reverse("dashboard")).context["inbox"]
    assert (inbox.overdue, inbox.due, inbox.warning, inbox.total) == (0, 1, 0, 1)


def test_dashboard_summary_costs_two_queries(members_a, alerts, django_assert_num_queries):
    from alerts.selectors import inbox_summary

    with django_assert_num_queries(2):
        summary = inbox_summary(members_a[Role.SOCIAL_WORKER])
        assert [a.household.reference for a in summary.urgent] == ["M-MINE", "M-TEAM"]
        assert summary.urgent[0].assignee.email == "social_worker@alpha.example"


def _context(membership):
    request = RequestFactory().get("/")
    request.membership = membership
    request.organisation = membership.organisation
    request.memberships = [membership]
    return context_processor(request) | alert_badge(request)


def test_badge_counts_open_alerts_lazily_in_one_query(members_a, alerts, django_assert_num_queries):
    AlertFactory(organisation=alerts["team"].organisation, seen=True)
    with django_assert_num_queries(0):
        context = _context(members_a[Role.SOCIAL_WORKER])
    with django_assert_num_queries(1):
        assert context["alert_badge"]() == 2
        assert context["alert_badge"]() == 2
    assert _context(members_a[Role.HEAD])["alert_badge"]() == 4
    assert _context(members_a[Role.REGISSEUR])["alert_badge"]() == 1
    with django_assert_num_queries(0):
        admin = _context(members_a[Role.ADMIN])
        assert admin["alert_badge"]() == 0 and not admin["nav"]["alerts"]


def test_badge_is_cached_until_the_organisation_writes(
    settings, members_a, alerts, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """A page read costs no query for the badge once counted; the alert job's transaction (or
    any write) retires the count."""
    settings.IML_AGGREGATE_CACHE = True
    dataversion.forget_all()  # test databases reuse organisation ids
    worker = members_a[Role.SOCIAL_WORKER]
    assert _context(worker)["alert_badge"]() == 2
    with django_assert_num_queries(0):
        assert _context(worker)["alert_badge"]() == 2
    with (
        django_capture_on_commit_callbacks(execute=True),
        organisation_transaction(worker.organisation),
    ):
        AlertFactory(organisation=worker.organisation, assignee=worker.user)
    assert _context(worker)["alert_badge"]() == 3


def test_badge_in_the_navigation(client, members_a, alerts):
    login(client, members_a[Role.SOCIAL_WORKER])
    body = client.get(reverse("security")).content.decode()
    assert f'href="{LIST}"' in body
    assert '<span class="status status-withdrawn">2<span class="visually-hidden"> nouvelles' in body
    client.post(reverse("alert_mark_seen", args=[alerts["mine"].public_id]))
    client.post(reverse("alert_mark_seen", args=[alerts["team"].public_id]))
    body = client.get(reverse("security")).content.decode()
    assert f'href="{LIST}"' in body and "status-withdrawn" not in body


# --- Dispositif thresholds ------------------------------------------------------------------


def test_admin_tunes_the_alert_thresholds(client, members_a, dispositif_a):
    login(client, members_a[Role.ADMIN])
    url = reverse("dispositif_edit", args=[dispositif_a.public_id])
    assert 'name="alert_no_contact_weeks"' in client.get(url).content.decode()
    data = {
        "code": "IML-A", "name": "Dispositif Alpha", "category": "classique",
        "zone": "detendue", "funder": "DDETS", "places": 12, "report_start_month": 1,
        "age_brackets": "0-17;18+", "is_active": "on",
        "alert_warning_days": 45, "alert_debt_months": "1.5", "alert_no_contact_weeks": "",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    saved = Dispositif.all_organisations.get(pk=dispositif_a.pk)
    assert saved.alert_warning_days == 45
    assert str(saved.alert_debt_months) == "1.50"
    assert saved.alert_no_contact_weeks == 6  # left empty: unchanged
    assert saved.alert_unpaid_calls == 2  # not sent: unchanged
