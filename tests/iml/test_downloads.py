"""Download names come from a safe slug, whatever the reference typed."""

import pytest
from django.http import HttpResponse

from iml.downloads import attachment, safe_name


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("contrat", 'evil".html'), "contrat-evil-.html"),
        (("menage", "M-1\r\nSet-Cookie: x=1"), "menage-M-1-Set-Cookie-x-1"),
        (("etat", "\u202elmth.exe"), "etat-lmth.exe"),
        (("reçu", "Éloïse Ngô"), "recu-Eloise-Ngo"),
        (("", None), "document"),
    ],
)
def test_safe_name(parts, expected):
    assert safe_name(*parts) == expected


def test_the_header_holds_the_safe_name_only():
    response = attachment(HttpResponse(b""), "rapport", 'x"; filename="evil.html', extension="pdf")
    expected = 'attachment; filename="rapport-x-filename-evil.html.pdf"'
    assert response["Content-Disposition"] == expected
