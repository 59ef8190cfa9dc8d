"""The morning digest of new alerts, and the preference on the account page."""

from __future__ import annotations

import datetime

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.urls import reverse
from freezegun import freeze_time

from alerts.digest import send_digests
from alerts.models import Alert, AlertKind
from alerts.tasks import send_alert_digests
from iml.models import Role
from iml.rls import organisation_transaction
from tests.alerts.samples import AlertFactory
from tests.conftest import login
from tests.factories import MembershipFactory

D = datetime.date
NOW = datetime.datetime(2025, 6, 20, 4, 15, tzinfo=datetime.UTC)
LINK = settings.SITE_URL + "/alertes/"


@pytest.fixture(autouse=True)
def _today():
    with freeze_time(NOW):
        yield


@pytest.fixture
def alerts(org_a, members_a):
    worker = members_a[Role.SOCIAL_WORKER].user
    return {
        "mine": AlertFactory(organisation=org_a, household__reference="M-MINE",
                             assignee=worker, overdue=True, due_date=D(2025, 6, 1)),
        "team": AlertFactory(organisation=org_a, household__reference="M-TEAM",
                             due_date=D(2025, 7, 14)),
        "money": AlertFactory(organisation=org_a, household__reference="M-MONEY", debt=True,
                              due=True, due_date=D(2025, 6, 20)),
        "seen": AlertFactory(organisation=org_a, household__reference="M-SEEN",
                             assignee=worker, seen=True),
    }  # fmt: skip


def run(organisation) -> int:
    with organisation_transaction(organisation):
        return send_digests(organisation, NOW)


def mail_to(address: str):
    found = [message for message in mail.outbox if message.to == [address]]
    assert len(found) <= 1
    return found[0] if found else None


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_each_member_gets_the_new_alerts_they_can_see(org_a, alerts):
    assert run(org_a) == 3
    worker = mail_to("social_worker@alpha.example")
    assert worker.subject == "2 nouvelles alertes — Association Alpha"
    text = worker.body
    assert text.startswith("Bonjour ")
    assert text.index("M-MINE") < text.index("M-TEAM")  # most urgent first
    assert "Pas de contact avec le ménage" in text
    assert "échéance le 01/06/2025 (en retard)" in text
    assert "échéance le 14/07/2025" in text
    assert LINK in text
    assert "M-MONEY" not in text and "M-SEEN" not in text
    html = html_of(worker)
    assert f'<a href="{LINK}">' in html
    assert "M-MINE" in html and "M-TEAM" in html and "01/06/2025" in html
    assert "M-MONEY" not in html and "M-SEEN" not in html
    regisseur = mail_to("regisseur@alpha.example")
    assert regisseur.subject == "1 nouvelle alerte — Association Alpha"
    assert "Dette locative" in regisseur.body and "M-MONEY" in regisseur.body
    assert "M-MINE" not in regisseur.body
    head = mail_to("head@alpha.example")
    assert head.subject.startswith("3 nouvelles alertes")
    assert mail_to("admin@alpha.example") is None


def test_every_alert_is_then_notified_and_a_second_run_sends_nothing(org_a, alerts):
    run(org_a)
    assert not Alert.objects.filter(notified_at__isnull=True).exists()
    assert Alert.objects.get(pk=alerts["team"].pk).notified_at == NOW
    mail.outbox.clear()
    assert run(org_a) == 0
    assert mail.outbox == []
    # A new alert the next day: only that one.
    AlertFactory(organisation=org_a, household__reference="M-NEW", kind=AlertKind.DEBT,
                 milestone="dette", assignee_role=Role.REGISSEUR)  # fmt: skip
    assert run(org_a) == 2
    assert mail_to("regisseur@alpha.example").subject.startswith("1 nouvelle alerte")
    assert "M-MONEY" not in mail_to("regisseur@alpha.example").body
    assert mail_to("social_worker@alpha.example") is None


def test_nothing_new_sends_nothing(org_a, members_a):
    AlertFactory(organisation=org_a, notified_at=NOW - datetime.timedelta(days=1))
    AlertFactory(organisation=org_a, resolved=True)
    assert run(org_a) == 0
    assert mail.outbox == []


def test_opted_out_and_inactive_members_get_nothing(org_a, members_a, alerts):
    worker = members_a[Role.SOCIAL_WORKER].user
    worker.alert_digest = False
    worker.save(update_fields=["alert_digest"])
    head = members_a[Role.HEAD]
    head.is_active = False
    head.save(update_fields=["is_active"])
    assert run(org_a) == 1
    assert [m.to for m in mail.outbox] == [["regisseur@alpha.example"]]
    # Notified all the same: turning the digest back on does not send the old ones.
    assert not Alert.objects.filter(notified_at__isnull=True).exists()


def test_the_task_keeps_organisations_apart(org_a, org_b, members_a, members_b, alerts):
    AlertFactory(organisation=org_b, household__reference="M-BETA")
    assert send_alert_digests() == {"organisations": 2, "emails": 5}
    beta = mail_to("social_worker@beta.example")
    assert beta.subject == "1 nouvelle alerte — Association Bêta"
    assert "M-BETA" in beta.body and "M-MINE" not in beta.body and "M-TEAM" not in beta.body
    for message in mail.outbox:
        if message.to[0].endswith("@alpha.example"):
            assert "M-BETA" not in message.body + html_of(message)
            assert "Bêta" not in message.subject
    assert send_alert_digests() == {"organisations": 2, "emails": 0}


def test_the_digest_runs_every_morning_after_the_alerts():
    entry = settings.CELERY_BEAT_SCHEDULE["alert-digest"]
    assert entry["task"] == "alerts.tasks.send_alert_digests"
    assert entry["schedule"] == crontab(hour=6, minute=15)


# --- Preference on the account page ---------------------------------------------------------


def test_the_user_turns_the_digest_off_and_on(client, members_a):
    member = members_a[Role.SOCIAL_WORKER]
    login(client, member)
    url = reverse("security")
    body = client.get(url).content.decode()
    assert "Recevoir chaque matin le récapitulatif des nouvelles alertes" in body
    assert 'name="alert_digest"' in body and "checked" in body
    response = client.post(url, {})
    assert response.status_code == 302 and response["Location"] == url
    member.user.refresh_from_db()
    assert member.user.alert_digest is False
    assert "Vous ne recevrez plus" in client.get(url).content.decode()
    client.post(url, {"alert_digest": "on"})
    member.user.refresh_from_db()
    assert member.user.alert_digest is True


def test_an_admin_is_not_offered_the_digest(client, members_a):
    admin = members_a[Role.ADMIN]
    login(client, admin)
    url = reverse("security")
    assert "récapitulatif" not in client.get(url).content.decode()
    client.post(url, {})
    admin.user.refresh_from_db()
    assert admin.user.alert_digest is True


def test_a_user_admin_here_but_worker_elsewhere_is_offered_it(client, org_a, org_b, members_a):
    admin = members_a[Role.ADMIN]
    MembershipFactory(organisation=org_b, user=admin.user, role=Role.SOCIAL_WORKER)
    login(client, admin)
    assert "récapitulatif" in client.get(reverse("security")).content.decode()
