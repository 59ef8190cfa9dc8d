"""The navigation badge of the alert inbox."""

import functools

from django.http import HttpRequest

from alerts.selectors import open_count
from iml import dataversion


def alert_badge(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)

    def count() -> int:
        if membership is None:
            return 0
        # Cached under the organisation's data version: every write (a request, the alert
        # job's transaction) retires it, so that a page read costs no query for the badge.
        return dataversion.cached(
            membership.organisation_id, "alert_badge", lambda: open_count(membership), membership.pk
        )

    # A callable (templates call it), so that it runs only when a page displays it, and once
    # per request.
    return {"alert_badge": functools.cache(count)}
