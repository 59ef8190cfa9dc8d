"""The monthly rent-call job run by a real Celery worker on the real Redis: sent twice, it
issues each call once."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings

from iml.codes import LedgerKind
from iml.rls import organisation_transaction
from tenancy.models import LedgerEntry
from tenancy.tasks import issue_monthly_rent_calls
from tests.factories import OrganisationFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date


def test_the_job_is_scheduled_on_the_first_at_six_paris_time():
    entry = settings.CELERY_BEAT_SCHEDULE["issue-monthly-rent-calls"]
    assert entry["task"] == "tenancy.tasks.issue_monthly_rent_calls"
    schedule = entry["schedule"]
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {6}, {0})
    assert settings.CELERY_TIMEZONE == "Europe/Paris"


@pytest.mark.celery_worker
def test_a_real_worker_issues_the_calls_once(worker):
    org = OrganisationFactory(slug="worker-calls")
    SubleaseContractFactory(organisation=org, start_date=D(2025, 4, 16))  # half of April
    SubleaseContractFactory(organisation=org, start_date=D(2025, 1, 1))
    first = issue_monthly_rent_calls.delay("2025-04-01")
    second = issue_monthly_rent_calls.delay("2025-04-01")
    assert (first.get(timeout=60), second.get(timeout=60)) == (2, 0)
    with organisation_transaction(org):
        debits = sorted(
            LedgerEntry.objects.filter(kind=LedgerKind.APPEL).values_list("debit", flat=True)
        )
    # 15 days of 30 of 450: 225.00; and a full month.
    assert debits == [Decimal("225.00"), Decimal("450.00")]
