"""The access log: recording, reading, purging."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from iml.models import AccessAction, AccessLog, Organisation
from iml.rls import organisation_transaction

RETENTION = datetime.timedelta(days=365)


def record_access(
    request: HttpRequest,
    *,
    object_type: str,
    object_id,
    household_id=None,
    action: AccessAction = AccessAction.VIEW,
) -> AccessLog:
    return AccessLog.objects.create(
        organisation=request.organisation,
        user=request.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        household_id=household_id,
        path=request.path[:300],
    )


def access_log() -> QuerySet[AccessLog]:
    return AccessLog.objects.select_related("user")


def purge_access_log(now: datetime.datetime | None = None) -> int:
    """Delete entries older than a year, organisation by organisation (one transaction each)."""
    limit = (now or timezone.now()) - RETENTION
    deleted = 0
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_transaction(organisation):
            count, _ = AccessLog.objects.filter(at__lt=limit).delete()
            deleted += count
    return deleted
