"""Periodic jobs of the ledger."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from iml.models import Organisation
from iml.rls import organisation_transaction
from tenancy.amounts import month_start
from tenancy.calls import issue_rent_calls


@shared_task
def issue_monthly_rent_calls(month: str | None = None) -> int:
    """The month's rent call for every running contract (1st of the month, 06:00 Paris).

    Organisation by organisation, each in its own transaction; running it again, or on two
    workers at once, issues nothing more (one call per contract and month, by constraint)."""
    first = month_start(datetime.date.fromisoformat(month) if month else timezone.localdate())
    issued = 0
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_transaction(organisation):
            issued += issue_rent_calls(organisation_id=organisation.pk, months=[first])
    return issued
