"""The « Pièces » sections of a household's and a home's pages (registries in the lower
apps: ``households.selectors.HOUSEHOLD_PANELS``, ``housing.selectors.UNIT_PANELS``)."""

from __future__ import annotations

from django.utils import timezone

from households.models import Household
from housing.energy import letting_ban_warning
from housing.models import HousingUnit, Landlord
from iml.models import Membership
from iml.selectors import Panel
from papers.access import READERS
from papers.selectors import DEFAULT_WARNING_DAYS, household_papers, owner_papers


def household_panel(*, household: Household, membership: Membership) -> Panel | None:
    if membership is None or membership.role not in READERS:
        return None
    papers = household_papers(household, membership, timezone.localdate())
    return Panel("papers/household_panel.html", {"papers": papers, "household": household})


def unit_panel(*, unit: HousingUnit) -> Panel:
    """The papers of a home are housing papers: every reader of the unit page reads them."""
    today = timezone.localdate()
    rows = owner_papers(today, unit.dispositif.alert_paper_days, unit=unit)
    return Panel(
        "papers/unit_panel.html",
        {"rows": rows, "unit": unit, "ban": letting_ban_warning(unit.energy_class, today)},
    )


def landlord_panel(*, landlord: Landlord) -> Panel:
    """A landlord's papers (a management mandate, a guarantee, letters): housing papers."""
    rows = owner_papers(timezone.localdate(), DEFAULT_WARNING_DAYS, landlord=landlord)
    return Panel("papers/landlord_panel.html", {"rows": rows, "landlord": landlord})
