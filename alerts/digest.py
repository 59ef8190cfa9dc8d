"""The morning digest: one e-mail per member listing the alerts raised since the last one.

Run after the daily alert job (``alerts.job``), organisation by organisation, inside its
transaction (``alerts.tasks.send_alert_digests``). Each member gets the new alerts they can see
(``alerts.selectors.visible_alerts``), nothing when there are none or when they turned the
digest off; then every alert not notified yet is marked notified, so that the next run sends
only newer ones. The e-mails carry the households' references, never names.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from alerts.models import Alert, AlertStatus
from alerts.selectors import INBOX_ROLES, by_urgency, visible_alerts
from iml.models import Membership, Organisation


def digest_message(
    *, membership: Membership, alerts: list[Alert], organisation: Organisation
) -> EmailMultiAlternatives:
    context = {
        "user": membership.user,
        "organisation": organisation,
        "alerts": alerts,
        "count": len(alerts),
        "site_url": settings.SITE_URL,
        "link": settings.SITE_URL + reverse("alert_list"),
    }
    subject = " ".join(render_to_string("alerts/email/alert_digest_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("alerts/email/alert_digest.txt", context),
        to=[membership.user.email],
    )
    message.attach_alternative(
        render_to_string("alerts/email/alert_digest.html", context), "text/html"
    )
    return message


def send_digests(organisation: Organisation, now: datetime.datetime) -> int:
    """Send the organisation's digests; returns the number of e-mails sent.

    Call inside ``organisation_transaction(organisation)``. The new alerts are locked first:
    a second run at the same time waits, then finds them notified and sends nothing.
    """
    new = list(
        Alert.objects.filter(organisation=organisation, notified_at__isnull=True)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if not new:
        return 0
    members = (
        Membership.objects.active()
        .filter(organisation=organisation, role__in=INBOX_ROLES, user__alert_digest=True)
        .select_related("user")
        .order_by("pk")
    )
    messages = []
    for membership in members:
        alerts = list(
            by_urgency(visible_alerts(membership).filter(pk__in=new, status=AlertStatus.OPEN))
        )
        if alerts:
            messages.append(
                digest_message(membership=membership, alerts=alerts, organisation=organisation)
            )
    if messages:
        get_connection().send_messages(messages)
    Alert.objects.filter(pk__in=new).update(notified_at=now)
    return len(messages)
