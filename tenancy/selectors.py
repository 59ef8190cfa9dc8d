"""Reads of tenancy for other screens: the dashboard's money cards. Every amount comes from
``tenancy.money``, the one definition of each money notion."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.module_loading import import_string

from iml import dataversion
from iml.codes import RepaymentPlanStatus
from iml.scoping import get_current_organisation_id
from tenancy.models import RepaymentPlan
from tenancy.money import debt_totals, households_in_debt, takings

if TYPE_CHECKING:
    from iml.models import Membership
    from iml.selectors import Card, Panel
    from tenancy.models import SubleaseContract

# The sections the apps above tenancy add to a contract's page, in page order:
# (contract, membership) -> iml.selectors.Panel | None.
CONTRACT_PANELS = ["rehousing.panels.contract_panel"]


def contract_panels(*, contract: SubleaseContract, membership: Membership) -> list[Panel]:
    panels = (
        import_string(provider)(contract=contract, membership=membership)
        for provider in CONTRACT_PANELS
    )
    return [panel for panel in panels if panel is not None]


def households_in_debt_count(today: datetime.date) -> int:
    """How many households the "in debt" rule holds today, cached until the next write."""
    return dataversion.cached(
        get_current_organisation_id(),
        "households-in-debt",
        lambda: households_in_debt(today).count(),
        today,
    )


def dashboard_cards(*, membership: Membership) -> list[Card]:
    """Money figures of the dashboard (a provider of ``iml.selectors.DASHBOARD_PROVIDERS``)."""
    from iml.permissions import MONEY_RECORDERS, MONEY_VIEWERS
    from iml.selectors import Card

    if membership.role not in MONEY_VIEWERS:
        return []
    today = timezone.localdate()
    cards = [
        Card(
            "Ménages en dette",
            households_in_debt_count(today),
            "tenancy:contract_list",
            query="?dette=1",
        ),
        Card(
            "Impayés (soldes débiteurs)",
            debt_totals()["owed"],
            "tenancy:contract_list",
            query="?etat=tous&debiteur=1",
            money=True,
        ),
        Card(
            "Plans d’apurement actifs",
            RepaymentPlan.objects.filter(status=RepaymentPlanStatus.ACTIF).count(),
            "tenancy:plan_list",
        ),
    ]
    if membership.role in MONEY_RECORDERS:
        cards.append(
            Card(
                "Encaissé aujourd’hui",
                takings(today, with_entries=False).total,
                "tenancy:cash_journal",
                money=True,
            )
        )
    return cards
