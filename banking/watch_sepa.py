"""« Prélèvement rejeté »: a returned direct debit leaves the rent unpaid. The daily alert
job (``alerts.job``) tells the régisseurs for 60 days after the rejection, while the household
still owes money (``tenancy.money``: a balance above zero)."""

from __future__ import annotations

import datetime
from typing import Any

from banking.models import Debit
from iml.models import Role
from papers.watch import due_level
from tenancy.money import balance_subquery

WATCHED = datetime.timedelta(days=60)


def milestone(debit: Debit) -> str:
    """``<collection date>|<reason code>``: the alert's title is read from it."""
    return f"{debit.collection_on.isoformat()}|{debit.rejection_reason}"


def debit_rejected_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    debits = (
        Debit.objects.filter(
            rejected_on__gte=today - WATCHED,
            rejected_on__lte=today,
            contract__household__anonymised_at__isnull=True,
        )
        .annotate(
            owed=balance_subquery("contract__household", ref="contract__household_id", at=today)
        )
        .filter(owed__gt=0)
        .select_related("contract")
        .only("pk", "collection_on", "rejected_on", "rejection_reason", "contract__household_id")
        .order_by("pk")
    )
    return [
        {
            "subject_id": debit.pk,
            "household_id": debit.contract.household_id,
            "milestone": milestone(debit),
            "due_date": debit.rejected_on,
            "level": due_level(today, debit.rejected_on),
            "assignee_id": None,
            "assignee_role": Role.REGISSEUR.value,
        }
        for debit in debits
    ]
