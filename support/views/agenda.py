"""The social worker's agenda (week or month) and her private calendar link."""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from iml.models import Membership
from iml.permissions import SUPPORT_MANAGERS, member_required
from iml.scoping import organisation_context
from support.agenda import (
    FEED_AHEAD,
    FEED_PAST,
    appointments,
    calendar,
    feed_reference,
    feed_token,
)
from support.models import CalendarFeed


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


@member_required(SUPPORT_MANAGERS)
def agenda(request: HttpRequest) -> HttpResponse:
    month = request.GET.get("vue") == "mois"
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    if month:
        start = day.replace(day=1)
        end = start + relativedelta(months=1)
        step = relativedelta(months=1)
    else:
        start = day - datetime.timedelta(days=day.weekday())
        end = start + datetime.timedelta(days=7)
        step = relativedelta(days=7)
    found = appointments(request.user, _midnight(start), _midnight(end))
    by_day: dict[datetime.date, list] = {}
    for appointment in found:
        by_day.setdefault(appointment.day, []).append(appointment)
    # The week shows each of its days; the month, the days that have an appointment.
    days = (
        [(start + datetime.timedelta(days=n), by_day.get(start + datetime.timedelta(days=n), []))
         for n in range(7)]
        if not month
        else sorted(by_day.items())
    )  # fmt: skip
    feed = CalendarFeed.objects.filter(user=request.user).first()
    view = "mois" if month else "semaine"
    return render(
        request,
        "support/agenda.html",
        {
            "month": month,
            "start": start,
            "end": end - datetime.timedelta(days=1),
            "days": days,
            "count": len(found),
            "today": today,
            "previous": f"?vue={view}&date={(start - step).isoformat()}",
            "next": f"?vue={view}&date={(start + step).isoformat()}",
            "other_view": f"?vue={'semaine' if month else 'mois'}&date={start.isoformat()}",
            "feed_url": request.build_absolute_uri(
                reverse("support:agenda_feed", args=[feed_token(feed)])
            )
            if feed
            else None,
        },
    )


@require_POST
@member_required(SUPPORT_MANAGERS)
def agenda_link(request: HttpRequest) -> HttpResponse:
    """Create or renew the calendar link (the old one stops working), or revoke it."""
    CalendarFeed.objects.filter(user=request.user).delete()
    if request.POST.get("action") == "revoke":
        messages.success(request, "Lien d’agenda supprimé : votre téléphone ne le lit plus.")
    else:
        CalendarFeed.objects.create(user=request.user)
        messages.success(
            request,
            "Nouveau lien d’agenda créé ; l’ancien, s’il y en avait un, ne fonctionne plus.",
        )
    return redirect("support:agenda")


def agenda_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar link a phone reads, without login: the signed token is the key."""
    reference = feed_reference(token)
    if reference is None:
        raise Http404
    organisation, key = reference
    now = timezone.now()
    with transaction.atomic(), organisation_context(organisation):
        feed = CalendarFeed.objects.select_related("user").filter(key=key).first()
        if feed is None or not (
            Membership.objects.active()
            .filter(user_id=feed.user_id, role__in=SUPPORT_MANAGERS)
            .exists()
        ):
            raise Http404
        found = appointments(feed.user, now - FEED_PAST, now + FEED_AHEAD)
    body = calendar(
        found,
        household_url=lambda public_id: request.build_absolute_uri(
            reverse("households:household_detail", args=[public_id])
        ),
        now=now,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
