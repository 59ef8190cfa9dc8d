"""A social worker's agenda: the appointments she recorded (« prochain rendez-vous » of an
interaction) with the households she follows, for a week or a month, and the private calendar
link (ICS) her phone subscribes to.

An appointment is that of an interaction of a household she took part in or is the referent
of, unless a later interaction of the household recorded another one (it was moved). The
calendar link carries the household's reference only: no name, no note leaves the software
for the phone's calendar service.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core import signing
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from icalendar import Calendar, Event

from households.models import Person
from iml.codes import PersonRole
from iml.models import Organisation, User
from support.models import CalendarFeed, Interaction, InteractionStaff

# An appointment lasts an hour in the calendar (the interaction records when, not how long).
DURATION = datetime.timedelta(hours=1)
# What the calendar link holds: a month back, six months ahead.
FEED_PAST = datetime.timedelta(days=31)
FEED_AHEAD = datetime.timedelta(days=183)
_SALT = "iml.calendar"


@dataclass(frozen=True)
class Appointment:
    at: datetime.datetime
    household_id: object  # the household's public id
    reference: str
    name: str
    interaction_id: object

    @property
    def day(self) -> datetime.date:
        return timezone.localtime(self.at).date()


def appointments(user: User, start: datetime.datetime, end: datetime.datetime) -> list[Appointment]:
    """``user``'s appointments from ``start`` (included) to ``end`` (excluded), in order."""
    mine = Q(pk__in=InteractionStaff.objects.filter(user=user).values("interaction")) | Q(
        household__referent=user
    )
    moved = Interaction.objects.filter(
        Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), pk__gt=OuterRef("pk")),
        household=OuterRef("household"),
        next_appointment__isnull=False,
    ).exclude(next_appointment=OuterRef("next_appointment"))
    referent = Person.objects.filter(household=OuterRef("household"), role=PersonRole.REFERENT)
    rows = (
        Interaction.objects.filter(mine, next_appointment__gte=start, next_appointment__lt=end)
        .exclude(Exists(moved))
        .annotate(
            head_last_name=Subquery(referent.values("last_name")[:1]),
            head_first_name=Subquery(referent.values("first_name")[:1]),
        )
        .select_related("household")
        .order_by("next_appointment", "household__reference", "pk")
    )
    seen: set[tuple[object, datetime.datetime]] = set()
    found = []
    for row in rows:
        # Two interactions may record the same appointment: it is one.
        if (row.household_id, row.next_appointment) in seen:
            continue
        seen.add((row.household_id, row.next_appointment))
        name = " ".join(part for part in (row.head_last_name, row.head_first_name) if part)
        found.append(
            Appointment(
                row.next_appointment,
                row.household.public_id,
                row.household.reference,
                name,
                row.public_id,
            )
        )
    return found


# --- The calendar link ----------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    """The link's secret: the organisation (row-level security reads the feed as it) and the
    feed's key, signed."""
    return signing.dumps([feed.organisation_id, feed.key.hex], salt=_SALT)


def feed_reference(token: str) -> tuple[Organisation, str] | None:
    """(organisation, key) of a link made by ``feed_token``; None if altered."""
    try:
        organisation_id, key = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    organisation = Organisation.objects.filter(pk=organisation_id, is_active=True).first()
    return None if organisation is None else (organisation, str(key))


def calendar(found: list[Appointment], *, household_url, now: datetime.datetime) -> bytes:
    """The appointments as an iCalendar document (RFC 5545)."""
    document = Calendar()
    document.add("prodid", "-//IML//Agenda des rendez-vous//FR")
    document.add("version", "2.0")
    document.add("x-wr-calname", "IML — mes rendez-vous")
    for appointment in found:
        event = Event()
        event.add("uid", f"{appointment.interaction_id}-{appointment.at:%Y%m%dT%H%M}@iml")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.at)
        event.add("dtend", appointment.at + DURATION)
        event.add("summary", f"Rendez-vous — ménage {appointment.reference}")
        event.add("url", household_url(appointment.household_id))
        document.add_component(event)
    return document.to_ical()
