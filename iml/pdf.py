"""Every PDF of the software is rendered here (WeasyPrint, A4 as the templates say): from a
template and its context, with no fetch of any resource (a document is self-contained: its
fonts are the system's, its charts inline SVG — a URL typed by a user never reaches the
network or the disk) and with its title and author in the document's metadata."""

from __future__ import annotations

from typing import Any, NoReturn

from django.template.loader import render_to_string
from weasyprint import HTML


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"A document fetches no resource ({url[:40]}).")


def html_to_pdf(html: str) -> bytes:
    # WeasyPrint is untyped: without a target, write_pdf() returns the document's bytes.
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return pdf


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """``template`` rendered with ``context``, as PDF bytes."""
    return html_to_pdf(render_to_string(template, context))
