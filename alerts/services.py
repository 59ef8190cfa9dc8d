"""Writes of the alerts made by people (the daily job, ``alerts.job``, makes the others)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertStatus


@transaction.atomic
def alert_mark_seen(*, alert: Alert) -> Alert:
    """An open alert becomes "seen" (it stays in the inbox, out of the badge's count).

    Conditional on its status, in one statement: an alert already seen, or resolved by the
    daily job in the meantime, is left as it is. The caller checked that the user may see it
    (``alerts.selectors.visible_alerts``).
    """
    now = timezone.now()
    Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
        status=AlertStatus.SEEN, seen_at=now, updated_at=now
    )
    alert.refresh_from_db(fields=["status", "seen_at", "updated_at"])
    return alert
