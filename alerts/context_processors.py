"""The navigation badge of the alert inbox."""

import functools

from django.http import HttpRequest

from alerts.selectors import open_count


def alert_badge(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    # A callable (templates call it), so that its one query runs only when a page displays
    # it, and once per request.
    return {"alert_badge": functools.cache(lambda: open_count(membership))}
