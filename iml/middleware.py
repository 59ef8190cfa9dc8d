"""Puts the user's current organisation on the request and in the scoping context."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from iml.models import Membership
from iml.scoping import organisation_context

SESSION_KEY = "iml_organisation"


def active_memberships(user) -> list[Membership]:
    """The user's usable memberships, all organisations (the only cross-organisation read)."""
    return list(
        Membership.all_organisations.active()
        .filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


class CurrentOrganisationMiddleware:
    """The organisation comes from a membership, chosen explicitly when there are several."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        request.organisation = None
        request.memberships = []
        if request.user.is_authenticated:
            request.memberships = active_memberships(request.user)
            chosen = request.session.get(SESSION_KEY)
            request.membership = next(
                (m for m in request.memberships if str(m.organisation.public_id) == chosen),
                request.memberships[0] if request.memberships else None,
            )
            if request.membership is not None:
                request.organisation = request.membership.organisation
        with organisation_context(request.organisation):
            return self.get_response(request)
