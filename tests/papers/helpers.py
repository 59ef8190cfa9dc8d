"""Files as a phone sends them, made in the tests: photos (JPEG with a GPS position in its
EXIF, HEIC from an iPhone, PNG), a small PDF, and files that only pretend."""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from papers.models import Paper
from papers.services import Owner, PaperData, paper_add

# A one-page PDF written by hand: what filetype and the service look at is its header and
# its end marker.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def photo(name: str = "photo.jpg", *, fmt: str = "JPEG", size=(800, 600), gps: bool = False):
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 0.0)}  # GPSInfo
        kwargs["exif"] = exif
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    image.save(out, fmt, **kwargs)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}[fmt]
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


def pdf(name: str = "scan.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fake(name: str = "titre.jpg"):
    """A text file named like a photo, sent as one."""
    return SimpleUploadedFile(name, b"<html><script>alert(1)</script></html>",
                              content_type="image/jpeg")  # fmt: skip


def add_paper(owner: Owner, kind: str, by, *, issued_on=datetime.date(2025, 1, 10),
              valid_until=None, uploads=None, **extra) -> Paper:  # fmt: skip
    return paper_add(
        owner=owner,
        data=PaperData(kind=kind, issued_on=issued_on, valid_until=valid_until, **extra),
        uploads=uploads or [photo()],
        by=by,
    )
