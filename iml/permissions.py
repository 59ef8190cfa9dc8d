"""Who may do what: small named rules, and the decorator that applies them to views."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from iml.models import Membership, Role
from iml.twofactor import needs_verification

EVERY_ROLE = tuple(Role)
MANAGERS = (Role.HEAD, Role.ADMIN)
# Households: social workers and heads manage them; régisseurs see identity (not notes).
HOUSEHOLD_VIEWERS = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)
HOUSEHOLD_MANAGERS = (Role.SOCIAL_WORKER, Role.HEAD)
# Admission signs the sublease contract: the régisseur's act as much as the social worker's.
ADMISSION_ROLES = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)
# Housing stock: régisseurs and heads manage it; social workers look up free spaces.
HOUSING_VIEWERS = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)
HOUSING_MANAGERS = (Role.REGISSEUR, Role.HEAD)
# Money: régisseurs and heads record it; social workers read balances, ledgers and plans.
MONEY_VIEWERS = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)
MONEY_RECORDERS = (Role.REGISSEUR, Role.HEAD)
# Support: social workers and heads write it and read the confidential notes; régisseurs see
# the timeline without notes, and the partners directory.
SUPPORT_MANAGERS = (Role.SOCIAL_WORKER, Role.HEAD)
SUPPORT_VIEWERS = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)


def has_role(membership: Membership | None, roles: tuple[Role, ...]) -> bool:
    return membership is not None and membership.role in roles


def can_read_support_notes(membership: Membership | None) -> bool:
    """Confidential notes of interactions: social workers and heads only, never régisseurs."""
    return has_role(membership, SUPPORT_MANAGERS)


def can_manage_members(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.ADMIN


def can_manage_dispositifs(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.ADMIN


def can_view_dispositifs(membership: Membership | None) -> bool:
    return membership is not None and membership.role in MANAGERS


def _is_agent(request: HttpRequest) -> bool:
    return getattr(request, "funder_agent", None) is not None


def member_required(roles: Iterable[Role] = EVERY_ROLE, *, agents: bool = False) -> Callable:
    """The view needs a logged-in member of the current organisation with one of ``roles``.

    A logged-in user without any membership sees a page saying so, and nothing else.
    ``agents``: a funder's agent may use it too (the account's own pages: security, second
    factor), which shows nothing of any operator.
    """
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            step = needs_verification(request)
            if step is not None:
                target = "two_factor_verify" if step == "verify" else "two_factor_setup"
                return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
            if request.membership is None and agents and _is_agent(request):
                return view(request, *args, **kwargs)
            if request.membership is None:
                # A funder's agent lands on the funder's pages after logging in (the
                # dashboard is the login's destination); any other operator page is refused.
                match = request.resolver_match
                if _is_agent(request) and (match is not None and match.view_name == "dashboard"):
                    return redirect("funders:home")
                return render(request, "iml/no_organisation.html", status=403)
            if request.membership.role not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Roles with an alert inbox (the admin runs the organisation, not the households).
INBOX_ROLES = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)


def has_inbox(membership) -> bool:
    return membership is not None and membership.role in INBOX_ROLES
