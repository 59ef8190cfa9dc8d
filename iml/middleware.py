"""Each request: one transaction, run as the user's current organisation.

The organisation comes from the user's memberships (chosen explicitly when there are
several). It is put in the scoping context (the default managers filter on it) and, through
``iml.rls``, in the transaction's ``iml.organisation_id`` setting (PostgreSQL's row-level
security filters on it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from iml import dataversion
from iml.models import FunderAgent, Membership
from iml.rls import user_context
from iml.scoping import organisation_context

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
SESSION_KEY = "iml_organisation"


def _memberships_of(user) -> list[Membership]:
    return list(
        Membership.all_organisations.active()
        .filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def active_memberships(user) -> list[Membership]:
    """The user's usable memberships, all organisations (the row-level policy lets a user see
    their own memberships; nothing else of another organisation).

    Read on every request, changed rarely: cached under the user's identity token, which every
    save of one of their memberships or of an organisation retires (``forget_identity``), and
    under the global token (``dataversion.forget_all``)."""
    if not settings.IML_AGGREGATE_CACHE:
        return _memberships_of(user)
    key = f"identity:{user.pk}:{dataversion.identity_token(user.pk)}"
    memberships = cache.get(key)
    if memberships is None:
        memberships = _memberships_of(user)
        cache.set(key, memberships, dataversion.TIMEOUT)
    return memberships


def _agent_of(user) -> FunderAgent | None:
    return (
        FunderAgent.objects.filter(user=user, is_active=True, institution__is_active=True)
        .select_related("institution")
        .first()
    )


def active_funder_agent(user) -> FunderAgent | None:
    """The user's place at a funder (DDETS, DREETS, national), cached as the memberships are
    (``funder_agent_saved`` retires it)."""
    if not settings.IML_AGGREGATE_CACHE:
        return _agent_of(user)
    key = f"agent:{user.pk}:{dataversion.identity_token(user.pk)}"
    agent = cache.get(key, False)
    if agent is False:
        agent = _agent_of(user)
        cache.set(key, agent, dataversion.TIMEOUT)
    return agent


class CurrentOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            with dataversion.reading():
                return self.serve(request)
        return self.serve(request)

    def serve(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        request.organisation = None
        request.memberships = []
        # A funder's agent (``funders``): a member of no operator, so looked up only for a
        # user without memberships (an operator's request pays nothing for it).
        request.funder_agent = None
        with transaction.atomic(), organisation_context(None):
            user = request.user
            with user_context(user.pk if user.is_authenticated else None):
                if user.is_authenticated:
                    request.memberships = active_memberships(user)
                    chosen = request.session.get(SESSION_KEY)
                    request.membership = next(
                        (m for m in request.memberships if str(m.organisation.public_id) == chosen),
                        request.memberships[0] if request.memberships else None,
                    )
                    if request.membership is not None:
                        request.organisation = request.membership.organisation
                    else:
                        request.funder_agent = active_funder_agent(user)
                with organisation_context(request.organisation):
                    response = self.get_response(request)
                    if response.status_code >= 500:
                        # The view failed: nothing it wrote is kept.
                        transaction.set_rollback(True)
                    elif request.organisation and request.method not in SAFE_METHODS:
                        # It may have written: the organisation's cached aggregates are stale.
                        transaction.on_commit(partial(dataversion.touch, request.organisation.pk))
        return response


def forget_member(sender, instance: Membership, **kwargs) -> None:
    """A membership saved or deleted: its user's cached memberships are retired now (this
    transaction's next request) and again at commit (a request that cached the old rows
    meanwhile)."""
    dataversion.forget_identity(instance.user_id)
    transaction.on_commit(partial(dataversion.forget_identity, instance.user_id))
    # The team is the organisation's data too (referents offered in lists, names shown).
    transaction.on_commit(partial(dataversion.touch, instance.organisation_id))


# A user's fields that pages of their organisations show (cached blocks, ``iml.fragments``).
SHOWN_USER_FIELDS = {"first_name", "last_name", "email", "is_active"}


def forget_user(sender, instance, **kwargs) -> None:
    """A user saved or deleted (login, password, session token, deactivation): the cached user
    of ``iml.auth`` is retired now and at commit."""
    dataversion.forget_identity(instance.pk)
    transaction.on_commit(partial(dataversion.forget_identity, instance.pk))
    # Renamed or deactivated (rare): every organisation's cached pages that name them. A login
    # (``last_login`` only) retires nothing more.
    fields = kwargs.get("update_fields")
    if fields is None or SHOWN_USER_FIELDS & set(fields):
        transaction.on_commit(dataversion.forget_all)


def forget_agent(sender, instance, **kwargs) -> None:
    """A funder agent saved or deleted (invited, moved, deactivated): retired now and at
    commit."""
    dataversion.forget_identity(instance.user_id)
    transaction.on_commit(partial(dataversion.forget_identity, instance.user_id))


def forget_members(sender, instance, **kwargs) -> None:
    """An organisation saved (its name, its second-factor rule, deactivated): every member's
    cached memberships hold a copy of it. Its members cannot always be listed here (row-level
    security hides them outside the organisation's context), and this is rare: every cache
    is retired. A new organisation has no member yet: nothing to retire."""
    if kwargs.get("created"):
        return
    dataversion.forget_all()
    transaction.on_commit(dataversion.forget_all)
