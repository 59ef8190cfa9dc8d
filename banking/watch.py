"""What the daily alert job (``alerts.job``) watches in the bank.

A household in tiers payant (a running contract expecting a housing benefit) that the CAF's
latest confirmed detail does not name: its right may be suspended (a missing paper, a change
of resources not declared), the first step of a debt. The régisseur is warned, once per month
of absence, until a later detail names the household again or the contract ends. A contract
that began during the month is left out: the CAF opens the right the month after the entry.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from banking.models import CafNotice, CafNoticeRow
from iml.models import Role
from papers.watch import due_level
from tenancy.owners import caf_contracts


def caf_stopped_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    confirmed = CafNotice.objects.filter(confirmed_at__isnull=False)
    month = confirmed.aggregate(month=Max("month"))["month"]
    if month is None:
        return []
    # The day the absence became known: the month's last detail confirmed.
    confirmed_at = confirmed.filter(month=month).aggregate(at=Max("confirmed_at"))["at"]
    due = timezone.localdate(confirmed_at)
    named = set(
        CafNoticeRow.objects.filter(
            notice__confirmed_at__isnull=False, notice__month=month, household__isnull=False
        ).values_list("household_id", flat=True)
    )
    contracts = (
        caf_contracts(month)
        # The CAF opens the right the month after the entry: nothing is due for the month a
        # contract began in.
        .filter(start_date__lt=month, cancelled_at__isnull=True)
        .filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=today))
        .values_list("pk", "household_id")
    )
    milestone = f"{month:%Y-%m}"
    return [
        {
            "subject_id": contract_id,
            "household_id": household_id,
            "milestone": milestone,
            "due_date": due,
            "level": due_level(today, due),
            "assignee_id": None,
            "assignee_role": Role.REGISSEUR.value,
        }
        for contract_id, household_id in contracts
        if household_id not in named
    ]
