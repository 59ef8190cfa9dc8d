"""The social worker's agenda and its private calendar link (ICS)."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from icalendar import Calendar

from iml.codes import InteractionType, PersonRole, SupportDomain
from iml.models import Role
from support.interactions import interaction_log
from support.models import CalendarFeed
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
D = datetime.date


@pytest.fixture
def _today():
    # A Wednesday: its week runs from Monday 2 to Sunday 8 March 2026.
    with freeze_time("2026-03-04 08:00"):
        yield


def _at(day: D, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _household(org, dispositif, reference, name, referent=None):
    household = HouseholdFactory(organisation=org, dispositif=dispositif, reference=reference,
                                 present=True, referent=referent,
                                 orientation_date=D(2025, 1, 2))  # fmt: skip
    PersonFactory(organisation=org, household=household, role=PersonRole.REFERENT,
                  last_name=name, first_name="Awa")  # fmt: skip
    return household


def _log(household, by, day, appointment):
    return interaction_log(household=household, date=day, kind=InteractionType.TELEPHONE,
                           domains=[SupportDomain.LOGEMENT], next_appointment=appointment,
                           by=by)  # fmt: skip


@pytest.fixture
def week(org_a, dispositif_a, social_worker_a):
    me = social_worker_a.user
    colleague = MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER).user
    seen = _household(org_a, dispositif_a, "M-VU", "Diallo")
    _log(seen, me, D(2026, 3, 2), _at(D(2026, 3, 5), 10))
    moved = _household(org_a, dispositif_a, "M-DEPLACE", "Keita")
    _log(moved, me, D(2026, 2, 20), _at(D(2026, 3, 3), 9))  # moved by the next call…
    _log(moved, me, D(2026, 3, 2), _at(D(2026, 3, 6), 14))  # … to Friday
    mine = _household(org_a, dispositif_a, "M-REFERENT", "Sow", referent=me)
    _log(mine, colleague, D(2026, 3, 3), _at(D(2026, 3, 6), 9))  # a colleague set it for me
    theirs = _household(org_a, dispositif_a, "M-AUTRE", "Traore")
    _log(theirs, colleague, D(2026, 3, 3), _at(D(2026, 3, 5), 11))
    later = _household(org_a, dispositif_a, "M-PLUS-TARD", "Ba")
    _log(later, me, D(2026, 3, 3), _at(D(2026, 3, 20), 10))  # another week, the same month
    return me


def test_the_week_shows_my_appointments_day_by_day(client, social_worker_a, week):
    login(client, social_worker_a)
    body = client.get(reverse("support:agenda")).content.decode()
    listed = re.findall(r"(\d\d:\d\d)</time> — <a [^>]+>(M-[A-Z-]+)", body)
    assert listed == [("10:00", "M-VU"), ("09:00", "M-REFERENT"), ("14:00", "M-DEPLACE")]
    assert "Diallo" in body  # the page names the households
    assert body.count('class="agenda-day"') == 7
    month = client.get(reverse("support:agenda"), {"vue": "mois"}).content.decode()
    assert "M-PLUS-TARD" in month and "M-AUTRE" not in month


def test_the_calendar_link_shows_references_only_and_can_be_revoked(client, social_worker_a, week):
    login(client, social_worker_a)
    client.post(reverse("support:agenda_link"), {"action": "create"})
    page = client.get(reverse("support:agenda")).content.decode()
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    feed = Client().get(url)  # a phone, without a session
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    summaries = sorted(str(event["summary"]) for event in events)
    assert summaries == sorted(
        f"Rendez-vous — ménage {ref}" for ref in ("M-VU", "M-DEPLACE", "M-REFERENT", "M-PLUS-TARD")
    )
    assert b"Diallo" not in feed.content and b"Awa" not in feed.content
    friday = next(e for e in events if "M-DEPLACE" in str(e["summary"]))
    assert friday["dtstart"].dt == _at(D(2026, 3, 6), 14)
    # Renewed: the old link stops working at once.
    client.post(reverse("support:agenda_link"), {"action": "renew"})
    assert Client().get(url).status_code == 404
    client.post(reverse("support:agenda_link"), {"action": "revoke"})
    assert not CalendarFeed.objects.exists()


def test_a_forged_or_orphaned_link_shows_nothing(client, social_worker_a, org_a, week):
    login(client, social_worker_a)
    client.post(reverse("support:agenda_link"), {"action": "create"})
    url = re.search(r'value="(http[^"]+\.ics)"', client.get(reverse("support:agenda"))
                    .content.decode()).group(1)  # fmt: skip
    forged = url.replace("/rendez-vous.ics", "x/rendez-vous.ics")
    assert Client().get(forged).status_code == 404
    # Its member left the organisation: the link shows nothing more.
    social_worker_a.is_active = False
    social_worker_a.save()
    assert Client().get(url).status_code == 404


def test_the_agenda_costs_the_same_queries_whatever_the_number_of_appointments(
    client, org_a, dispositif_a, social_worker_a, django_assert_max_num_queries
):
    me = social_worker_a.user

    def grow(count, start):
        for n in range(count):
            household = _household(org_a, dispositif_a, f"M-{start + n}", "Nom", referent=me)
            _log(household, me, D(2026, 3, 2), _at(D(2026, 3, 5), 9 + n % 8))

    login(client, social_worker_a)
    grow(2, 0)
    with django_assert_max_num_queries(10):
        client.get(reverse("support:agenda"))
    grow(20, 100)
    with django_assert_max_num_queries(10):
        body = client.get(reverse("support:agenda")).content.decode()
    assert body.count("Noter l’échange") == 22
