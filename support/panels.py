"""Support's sections of pages that belong to lower apps (registries in households)."""

from __future__ import annotations

from households.models import Household
from iml.models import Membership
from iml.permissions import SUPPORT_MANAGERS, has_role
from iml.selectors import Panel
from support.network import household_referrals


def household_panel(*, household: Household, membership: Membership) -> Panel | None:
    """The household page's « Accompagnement », for those who lead the support."""
    if not has_role(membership, SUPPORT_MANAGERS):
        return None
    return Panel(
        "support/household_panel.html",
        {
            "support_contract": household.support_contracts.first(),
            "referrals": household_referrals(household),
        },
    )
