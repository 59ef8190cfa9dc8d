"""Periodic jobs of the alerts: the daily job and the morning digest."""

from __future__ import annotations

from celery import shared_task

from iml.rls import organisation_transaction


@shared_task
def sync_alerts_daily(today: str | None = None) -> dict:
    """The daily alert job (06:00 Paris): organisation by organisation, each in its own
    transaction. Returns the counts (created, updated, resolved) — no personal data."""
    import datetime

    from alerts.job import sync_all

    day = datetime.date.fromisoformat(today) if today else None
    result = sync_all(day)
    return {"created": result.created, "updated": result.updated, "resolved": result.resolved}


@shared_task
def send_alert_digests() -> dict:
    """The morning digest (06:15 Paris, after the alert job): organisation by organisation,
    each in its own transaction. Returns counts only — no personal data."""
    from django.utils import timezone

    from alerts.digest import send_digests
    from iml.models import Organisation

    now = timezone.now()
    organisations = emails = 0
    for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
        with organisation_transaction(organisation):
            emails += send_digests(organisation, now)
        organisations += 1
    return {"organisations": organisations, "emails": emails}
