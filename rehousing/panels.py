"""The household page's « Relogement » (a provider of ``households.selectors.HOUSEHOLD_PANELS``):
the social file's, read by social workers and heads."""

from __future__ import annotations

from django.utils import timezone

from households.models import Household
from iml.models import Membership
from iml.permissions import SUPPORT_MANAGERS, has_role
from iml.selectors import Panel
from rehousing.selectors import household_rehousing


def household_panel(*, household: Household, membership: Membership) -> Panel | None:
    if not has_role(membership, SUPPORT_MANAGERS):
        return None
    today = timezone.localdate()
    return Panel(
        "rehousing/household_panel.html",
        {"household": household, "rehousing": household_rehousing(household, today),
         "today": today},
    )  # fmt: skip
