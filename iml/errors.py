"""The French error pages in development too.

In production Django answers a missing page, a refused or bad request and a failure with
``404.html``, ``403.html``, ``400.html`` and ``500.html``. With ``DEBUG`` (``make run``, where
people try the software) it shows its own English technical pages instead: this middleware
puts the French page back, unless ``DEBUG_TECHNICAL_PAGES`` asks for Django's (a developer
chasing a traceback; the exception is logged by Django either way).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

PAGES = {400: "400.html", 403: "403.html", 404: "404.html", 500: "500.html"}
# Django's technical pages (``django.views.debug``) all carry this tag near their top.
TECHNICAL = b'<meta name="robots" content="NONE,NOARCHIVE">'


class FrenchErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and not settings.DEBUG_TECHNICAL_PAGES
            and response.status_code in PAGES
            and not response.streaming
            and TECHNICAL in response.content[:3000]
        ):
            page = loader.render_to_string(PAGES[response.status_code], request=request)
            return HttpResponse(page, status=response.status_code)
        return response
