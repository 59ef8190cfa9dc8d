"""Download names built from a safe slug: whatever a user typed in a reference (quotes, line
breaks, right-to-left overrides, accents) never reaches the ``Content-Disposition`` header as
it is."""

from __future__ import annotations

import re
import unicodedata

from django.http import HttpResponse


def safe_name(*parts: object) -> str:
    """``rapport-IML-R-20251101`` from ``("rapport", "IML-R", "20251101")``: ASCII letters,
    digits, dots and dashes (accents dropped, anything else a dash), at most 120 characters."""
    text = "-".join(str(part) for part in parts if part not in (None, ""))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.")
    return text[:120].rstrip("-.") or "document"


def attachment(response: HttpResponse, *parts: object, extension: str) -> HttpResponse:
    """Mark ``response`` as a download named from ``parts`` (see ``safe_name``)."""
    response["Content-Disposition"] = f'attachment; filename="{safe_name(*parts)}.{extension}"'
    return response
