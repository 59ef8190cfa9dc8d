from django.http import HttpRequest

from iml import permissions


def organisation(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    return {
        "current_organisation": getattr(request, "organisation", None),
        "current_membership": membership,
        # A funder's agent (member of no operator): the funder's menu.
        "current_funder_agent": getattr(request, "funder_agent", None),
        "user_memberships": getattr(request, "memberships", []),
        "nav": {
            "alerts": permissions.has_inbox(membership),
            "members": permissions.can_manage_members(membership),
            "dispositifs": permissions.can_view_dispositifs(membership),
            "households": permissions.has_role(membership, permissions.HOUSEHOLD_VIEWERS),
            "manage_households": permissions.has_role(membership, permissions.HOUSEHOLD_MANAGERS),
            "housing": permissions.has_role(membership, permissions.HOUSING_VIEWERS),
            "manage_housing": permissions.has_role(membership, permissions.HOUSING_MANAGERS),
            "money": permissions.has_role(membership, permissions.MONEY_VIEWERS),
            "support": permissions.has_role(membership, permissions.SUPPORT_VIEWERS),
            "manage_support": permissions.has_role(membership, permissions.SUPPORT_MANAGERS),
            "record_money": permissions.has_role(membership, permissions.MONEY_RECORDERS),
        },
    }
