"""Who may open the funder's pages, and the log of what they opened."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from funders.models import FunderAccess, FunderAccessAction
from iml.twofactor import needs_verification


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view needs a logged-in agent of an active funder, past the second factor (always
    required of them: ``iml.twofactor.two_factor_required``). An operator's member is
    refused (403): the funder's pages are not theirs. ``request.institution`` is the agent's
    institution, the only source of the territory (``funders.scope``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        agent = getattr(request, "funder_agent", None)
        if agent is None:
            raise PermissionDenied
        step = needs_verification(request)
        if step is not None:
            target = "two_factor_verify" if step == "verify" else "two_factor_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        request.institution = agent.institution  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def record(
    request: HttpRequest,
    *,
    object_type: str,
    object_id: uuid.UUID | None = None,
    action: FunderAccessAction = FunderAccessAction.VIEW,
) -> FunderAccess:
    """Log a page or an export of a funder's agent (who, which institution, what, when)."""
    return FunderAccess.objects.create(
        user=request.user,
        institution=request.institution,  # type: ignore[attr-defined]
        action=action,
        object_type=object_type,
        object_id=object_id,
        path=request.get_full_path()[:300],
    )
