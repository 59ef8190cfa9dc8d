"""Tenancy's sections of pages that belong to lower apps (registries in households)."""

from __future__ import annotations

from django.db.models import Prefetch

from households.models import Household
from iml.models import Membership
from iml.permissions import MONEY_VIEWERS, has_role
from iml.selectors import Panel
from tenancy.models import Amendment
from tenancy.money import household_balance


def household_panel(*, household: Household, membership: Membership) -> Panel:
    """The household page's « Sous-location »: its contracts with their current term, and the
    balance for those who see money."""
    contracts = household.contracts.select_related("unit", "room").prefetch_related(
        Prefetch("amendments", queryset=Amendment.objects.order_by("-number"))
    )
    balance = household_balance(household) if has_role(membership, MONEY_VIEWERS) else None
    return Panel("tenancy/household_panel.html", {"contracts": contracts, "balance": balance})
