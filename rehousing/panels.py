"""The household page's « Relogement » (a provider of ``households.selectors.HOUSEHOLD_PANELS``):
the social file's, read by social workers and heads; and the contract page's « Glissement
envisagé » (``tenancy.selectors.CONTRACT_PANELS``)."""

from __future__ import annotations

from django.utils import timezone

from households.models import Household
from iml.models import Membership
from iml.permissions import ADMISSION_ROLES, SUPPORT_MANAGERS, has_role
from iml.selectors import Panel
from rehousing.selectors import household_rehousing
from rehousing.sliding import household_slide, slide_of
from tenancy.models import SubleaseContract


def household_panel(*, household: Household, membership: Membership) -> Panel | None:
    if not has_role(membership, SUPPORT_MANAGERS):
        return None
    today = timezone.localdate()
    return Panel(
        "rehousing/household_panel.html",
        {"household": household, "rehousing": household_rehousing(household, today),
         "slide": household_slide(household, today), "can_edit": True, "today": today},
    )  # fmt: skip


def contract_panel(*, contract: SubleaseContract, membership: Membership) -> Panel | None:
    slide = slide_of(contract, timezone.localdate())
    if slide is None:
        return None
    return Panel(
        "rehousing/slide_panel.html",
        {"slide": slide, "can_edit": has_role(membership, ADMISSION_ROLES)},
    )
