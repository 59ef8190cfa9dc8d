"""A social-housing demand lapses a year after its filing or last renewal: the daily alert job
(``alerts.job``) warns the referent the dispositif's ``alert_warning_days`` before, while the
household is followed (waiting or present) and the demand is not closed."""

from __future__ import annotations

import datetime
from typing import Any

from iml.models import Role
from rehousing.models import HousingDemand


def demand_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    demands = (
        HousingDemand.objects.filter(closed_on__isnull=True)
        .filter(
            household__exit_date__isnull=True,
            household__withdrawal_date__isnull=True,
            household__anonymised_at__isnull=True,
        )
        .select_related("household__dispositif")
        .order_by("pk")
    )
    rows = []
    for demand in demands:
        due = demand.renewal_due
        if today < due - datetime.timedelta(days=demand.household.dispositif.alert_warning_days):
            continue
        rows.append({
            "subject_id": demand.pk,
            "household_id": demand.household_id,
            "milestone": due.isoformat(),
            "due_date": due,
            "level": "warning" if today < due else "due" if today == due else "overdue",
            "assignee_id": demand.household.referent_id,
            "assignee_role": Role.SOCIAL_WORKER.value,
        })  # fmt: skip
    return rows
