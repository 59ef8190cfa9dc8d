"""The caps of a workbook's reading (``workbook.reader``): sizes once decompressed, rows per
sheet and in all, and the format's own bounds; the budget that counts them while reading."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

MB = 1024 * 1024
# Defaults of the settings. The largest workbook measured, the 10 000-household benchmark
# (``workbook_bench --households 10000``), holds 570 000 rows, 421 000 of them in
# ``mouvements``: 32 MB as CSV, 212 MB of XML as ``.xlsx``. The caps leave it room.
DEFAULT_MAX_BYTES = 512 * MB
DEFAULT_MAX_ROWS_PER_SHEET = 750_000
DEFAULT_MAX_ROWS = 1_000_000

# Bounds set by the formats rather than by an operator's size.
MAX_COLUMNS = 64  # in a header: the widest sheet of the format has 18 columns
MAX_CELLS_PER_ROW = 16_384  # Excel's own last column (XFD)
MAX_LINE = 1 * MB  # one physical line of a CSV
MAX_PART = 16 * MB  # an .xlsx part that openpyxl parses whole (workbook, styles, relations)
MAX_ENTRIES = 1_000  # files in an archive (an .xlsx has a few dozen)
SHARED_STRINGS_PER_ROW = 4  # distinct texts of an .xlsx, per row allowed in the workbook
CHUNK = 1 * MB


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows_per_sheet: int = DEFAULT_MAX_ROWS_PER_SHEET
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=getattr(settings, "WORKBOOK_MAX_BYTES", DEFAULT_MAX_BYTES),
            max_rows_per_sheet=getattr(
                settings, "WORKBOOK_MAX_ROWS_PER_SHEET", DEFAULT_MAX_ROWS_PER_SHEET
            ),
            max_rows=getattr(settings, "WORKBOOK_MAX_ROWS", DEFAULT_MAX_ROWS),
        )

    def shown(self) -> dict[str, str]:
        """The caps as the upload page writes them."""
        return {
            "max_bytes_mb": _number(-(-self.max_bytes // MB)),
            "max_rows_per_sheet": _number(self.max_rows_per_sheet),
            "max_rows": _number(self.max_rows),
        }


# For workbooks the platform generates itself (the national benchmark grows an operator by
# tens of thousands of households at once), never for a file that comes from outside.
UNCAPPED = Limits(max_bytes=2**62, max_rows_per_sheet=2**62, max_rows=2**62)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _megabytes(size: int) -> str:
    return f"{_number(-(-size // MB))}\u00a0Mo"


class Refused(Exception):
    """The file cannot be read (too large, or damaged): reading stops, nothing read is kept,
    and the workbook holds this one message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooLarge(Refused):
    pass


class Unreadable(Refused):
    pass


def too_many_bytes(limits: Limits, found: int | None = None) -> TooLarge:
    size = _megabytes(found) if found is not None else f"plus de {_megabytes(limits.max_bytes)}"
    return TooLarge(
        f"Fichier trop volumineux une fois décompressé : {size}, "
        f"{_megabytes(limits.max_bytes)} au plus. Découpez-le en plusieurs classeurs."
    )


class Budget:
    """What the reading of one workbook may still decompress and keep."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.bytes = 0
        self.rows = 0

    def declared(self, size: int) -> None:
        """Sizes announced before reading (members of an archive, files of a folder)."""
        if size > self.limits.max_bytes:
            raise too_many_bytes(self.limits, size)

    def take(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise too_many_bytes(self.limits)

    def mark(self) -> tuple[int, int]:
        return self.bytes, self.rows

    def reset(self, mark: tuple[int, int]) -> None:
        self.bytes, self.rows = mark

    def counted(self, rows: Iterable, sheet: str) -> Iterator:
        """``rows`` of ``sheet`` (header excluded), stopping at the caps."""
        limits = self.limits
        for count, row in enumerate(rows, start=1):
            if count > limits.max_rows_per_sheet:
                raise TooLarge(
                    f"Trop de lignes dans la feuille « {sheet} » : plus de "
                    f"{_number(limits.max_rows_per_sheet)}, "
                    f"{_number(limits.max_rows_per_sheet)} au plus. "
                    "Découpez-la en plusieurs classeurs."
                )
            self.rows += 1
            if self.rows > limits.max_rows:
                raise TooLarge(
                    f"Trop de lignes dans le classeur : plus de {_number(limits.max_rows)}, "
                    f"{_number(limits.max_rows)} au plus. Découpez-le en plusieurs classeurs."
                )
            yield row


class _Counted(io.RawIOBase):
    """A binary stream whose bytes are taken from the budget as they are read."""

    def __init__(self, raw, budget: Budget):
        super().__init__()
        self.raw = raw
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.budget.take(count or 0)
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


# --- Cells shared by the CSV and xlsx readers ---------------------------------------------


def _header(cell) -> str:
    if cell is None:
        return ""
    return str(cell).replace("\ufeff", "").strip().lower()


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _width(headers: list) -> int:
    """The header's width as ``RawWorkbook.add`` counts it (trailing empty cells aside)."""
    width = len(headers)
    while width and not _header(headers[width - 1]):
        width -= 1
    return width
