"""What an uploaded file is, told from its content (never its name or the browser's word),
and what is kept of it: photos re-encoded (HEIC from an iPhone becomes JPEG; the camera's
metadata, GPS position included, is dropped; a thumbnail is made), PDFs kept as they are."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]
import pillow_heif
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()

MAX_BYTES = 15 * 1024 * 1024
MAX_FILES = 20
# A photo is kept at most this wide or high: enough to read a paper, a tenth of the bytes.
MAX_SIDE = 2400
THUMBNAIL_SIDE = 320
# A decompression bomb (a tiny file of a gigantic image) is refused, not decoded.
Image.MAX_IMAGE_PIXELS = 60_000_000

IMAGES = {"image/jpeg", "image/png", "image/heic", "image/heif", "image/webp"}
PDF = "application/pdf"


@dataclass(frozen=True)
class Prepared:
    content: ContentFile[bytes]
    thumbnail: ContentFile[bytes] | None
    content_type: str
    size: int
    sha256: str


def _refuse(name: str, why: str) -> ValidationError:
    return ValidationError({"files": f"« {name} » : {why} Rien n’a été enregistré."})


def prepare(upload: UploadedFile[bytes]) -> Prepared:
    """The file to keep, or a French ``ValidationError`` naming it."""
    name = upload.name or "fichier"
    if upload.size is not None and upload.size > MAX_BYTES:
        raise _refuse(name, "le fichier dépasse 15 Mo.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(name, "le fichier dépasse 15 Mo.")
    if not data:
        raise _refuse(name, "le fichier est vide.")
    guessed = filetype.guess(data)
    mime = guessed.mime if guessed else ""
    if mime == PDF:
        if b"%%EOF" not in data[-2048:]:
            raise _refuse(name, "ce PDF est incomplet ou abîmé.")
        return _prepared(data, PDF, "pdf", None)
    if mime in IMAGES:
        return _photo(name, data)
    raise _refuse(name, "seules les photos (JPEG, PNG, HEIC, WebP) et les PDF sont acceptés.")


def _photo(name: str, data: bytes) -> Prepared:
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            image = ImageOps.exif_transpose(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, "l’image est trop grande.") from None
    except Exception:  # any decoder failure: the file is not a readable image
        raise _refuse(name, "l’image est illisible.") from None
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no EXIF written
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=75)
    return _prepared(out.getvalue(), "image/jpeg", "jpg", small.getvalue())


def _prepared(data: bytes, content_type: str, extension: str, thumb: bytes | None) -> Prepared:
    return Prepared(
        content=ContentFile(data, name=f"page.{extension}"),
        thumbnail=ContentFile(thumb, name="vignette.jpg") if thumb is not None else None,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def pdf_prepared(data: bytes) -> Prepared:
    """A PDF the software produced itself."""
    return _prepared(data, PDF, "pdf", None)


def prepare_all(uploads: list[UploadedFile[bytes]]) -> list[Prepared]:
    """Every file checked before any is kept: one bad page refuses the whole paper."""
    if not uploads:
        raise ValidationError({"files": "Ajoutez au moins un fichier (photo ou PDF)."})
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": f"Au plus {MAX_FILES} fichiers par pièce."})
    return [prepare(upload) for upload in uploads]
