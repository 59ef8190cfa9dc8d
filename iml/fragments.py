"""Blocks of pages read from the cache until the organisation's data change.

A page's costly block (a list, a household's panels) is the same for every member of one
role, on one day, as long as the organisation's data have not changed. ``{% versioned %}``
(``iml.templatetags.fragments``) caches it under ``fragment_key``: the organisation's data
version (``iml.dataversion``, retired by every committed write), today's date, the member's
role and the parts given (the page's address, with its filters). A block that shows what
differs per person (their name, a form with a CSRF token, « mes » anything) must not be
cached, or must name that person among its parts.

The view hands the block's data over ``deferred``: computed only when the block is rendered,
that is when the cache missed, so that a hit costs neither the queries nor the Python that
builds them.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from iml import dataversion

T = TypeVar("T")


def deferred(function: Callable[..., T], *args: Any, **kwargs: Any) -> Callable[[], T]:
    """``function(*args, **kwargs)``, computed when a template first reads it (templates call
    callables), once."""
    return functools.cache(functools.partial(function, *args, **kwargs))


def fragment_key(
    request: HttpRequest | None, name: str, parts: list[object], *, personal: bool = False
) -> str | None:
    """The block's cache key; None when the block is not to be cached (no organisation, the
    cache turned off). A ``personal`` block (the navigation: the user's name, their other
    organisations) is keyed on the user and their identity token too."""
    organisation = getattr(request, "organisation", None)
    membership = getattr(request, "membership", None)
    # In development (DEBUG), a template just edited shows at once. A release retires every
    # block through ``migrate`` (``iml.apps``), which every deployment runs.
    if (
        organisation is None
        or membership is None
        or not settings.IML_AGGREGATE_CACHE
        or settings.DEBUG
    ):
        return None
    if personal:
        user_id = membership.user_id
        parts = [*parts, user_id, dataversion.identity_token(user_id)]
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return ":".join([
        "fragment", str(organisation.pk), dataversion.token(organisation.pk),
        timezone.localdate().isoformat(), membership.role, name, digest,
    ])  # fmt: skip
