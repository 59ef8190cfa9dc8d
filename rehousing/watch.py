"""A social-housing demand lapses a year after its filing or last renewal: the daily alert job
(``alerts.job``) warns the referent the dispositif's ``alert_warning_days`` before, while the
household is followed (waiting or present) and the demand is not closed."""

from __future__ import annotations

import datetime
from typing import Any, cast

from dateutil.relativedelta import relativedelta

from households.models import Household
from iml.codes import FOLLOW_UP_MONTHS, ExitDestination
from iml.models import Role
from papers.watch import due_level
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
            "level": due_level(today, due),
            "assignee_id": demand.household.referent_id,
            "assignee_role": Role.SOCIAL_WORKER.value,
        })  # fmt: skip
    return rows


# A follow-up is asked a week before its month, and for two months after: an exit older than
# the feature raises nothing.
FOLLOW_UP_AHEAD = datetime.timedelta(days=7)
FOLLOW_UP_WINDOW = relativedelta(months=2)


def follow_up_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    """The contacts after exit (1, 3, 6 months) not recorded yet, to the referent."""
    earliest = today - relativedelta(months=max(FOLLOW_UP_MONTHS)) - FOLLOW_UP_WINDOW
    households = (
        Household.objects.filter(exit_date__gte=earliest, exit_date__lte=today,
                                 anonymised_at__isnull=True)
        .exclude(exit_destination=ExitDestination.DECES)
        .prefetch_related("follow_ups")
        .order_by("pk")
    )  # fmt: skip
    rows = []
    for household in households:
        done = {follow_up.months for follow_up in household.follow_ups.all()}
        for months in FOLLOW_UP_MONTHS:
            due = cast(datetime.date, household.exit_date) + relativedelta(months=months)
            if months in done or not due - FOLLOW_UP_AHEAD <= today <= due + FOLLOW_UP_WINDOW:
                continue
            rows.append({
                "subject_id": household.pk,
                "household_id": household.pk,
                "milestone": str(months),
                "due_date": due,
                "level": due_level(today, due),
                "assignee_id": household.referent_id,
                "assignee_role": Role.SOCIAL_WORKER.value,
            })  # fmt: skip
    return rows
