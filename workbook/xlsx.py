"""Reading an ``.xlsx`` sheet by sheet with a streaming expat parser that builds no tree (memory
stays at one row whatever the XML holds), every decompressed byte counted against the budget
(``workbook.limits``); openpyxl reads only the workbook's structure and styles."""

from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from workbook.limits import (
    CHUNK,
    MAX_CELLS_PER_ROW,
    MAX_PART,
    SHARED_STRINGS_PER_ROW,
    Budget,
    Refused,
    TooLarge,
    Unreadable,
    _blank,
    _Counted,
    _megabytes,
    _number,
    _width,
)

if TYPE_CHECKING:
    from workbook.reader import RawWorkbook

# --- xlsx--------------------------------------------------------------------------------

_NS = SHEET_MAIN_NS + "}"
ROW, CELL, VALUE = _NS + "row", _NS + "c", _NS + "v"
INLINE, TEXT, PHONETIC, STRING_ITEM = _NS + "is", _NS + "t", _NS + "rPh", _NS + "si"


class _Archive(zipfile.ZipFile):
    """A zip whose members are counted against the budget as they are decompressed. What
    openpyxl opens (through ``open``) is the workbook's structure, which it parses whole:
    each such part is capped at ``MAX_PART``. Sheets and shared strings are streamed
    (``stream``)."""

    budget: Budget

    def open(self, name, mode="r", pwd=None, **kwargs):
        if mode != "r":
            raise ValueError("lecture seule")
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.file_size > MAX_PART:
            raise TooLarge(
                f"Partie « {info.filename} » du classeur trop volumineuse : "
                f"{_megabytes(info.file_size)}, {_megabytes(MAX_PART)} au plus."
            )
        return self.stream(info)

    def stream(self, info) -> io.BufferedReader:
        return io.BufferedReader(_Counted(self.raw(info), self.budget), CHUNK)

    def raw(self, info):
        """The member as it decompresses, not counted (the caller counts it)."""
        return super().open(info, "r")


def _column(reference: str) -> int:
    """``"AB12"`` → 28."""
    number = 0
    for char in reference:
        code = ord(char)
        if 65 <= code <= 90:
            number = number * 26 + code - 64
        elif 97 <= code <= 122:
            number = number * 26 + code - 96
        else:
            break
    return number


class _Doctype(Exception):
    pass


def _refuse_dtd(*args) -> None:
    # A workbook never declares a DTD; entity declarations are how XML bombs expand.
    raise _Doctype


def _parser(start, end, chars) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    return parser


def _feed(parser, stream, done: list) -> Iterator:
    """Feed ``stream`` to ``parser`` chunk by chunk, yielding what each chunk completed."""
    while True:
        chunk = stream.read(CHUNK)
        parser.Parse(chunk, not chunk)
        if done:
            yield from done
            done.clear()
        if not chunk:
            return


def _shared_strings(stream, limit: int) -> list[str]:
    """The shared strings table, as openpyxl reads it (phonetic runs aside)."""
    strings: list[str] = []
    parts: list[str] = []
    inside = collecting = False
    phonetic = 0

    def start(name, attrs):
        nonlocal inside, collecting, phonetic
        if name == STRING_ITEM:
            inside = True
            parts.clear()
        elif name == TEXT and inside and not phonetic:
            collecting = True
        elif name == PHONETIC:
            phonetic += 1

    def end(name):
        nonlocal inside, collecting, phonetic
        if name == STRING_ITEM:
            inside = False
            if len(strings) >= limit:
                raise TooLarge(
                    f"Classeur trop volumineux : plus de {_number(limit)} textes différents, "
                    f"{_number(limit)} au plus. Découpez-le en plusieurs classeurs."
                )
            strings.append("".join(parts).replace("x005F_", ""))
        elif name == TEXT:
            collecting = False
        elif name == PHONETIC:
            phonetic -= 1

    def chars(data):
        if collecting:
            parts.append(data)

    for _ in _feed(_parser(start, end, chars), stream, []):
        pass
    return strings


def _sheet_rows(stream, *, shared, date_styles, timedelta_styles, epoch, where) -> Iterator:
    """(row number, {column: value}) of a worksheet's XML, cells converted as openpyxl's
    read-only mode does with ``data_only`` (cached values of formulas)."""
    done: list = []
    row = column = style = 0
    cells: dict | None = None
    kind = "n"
    value = None
    parts: list[str] = []
    inline: list[str] | None = None
    collecting = False
    phonetic = 0

    def start(name, attrs):
        nonlocal row, column, cells, kind, style, value, collecting, inline, phonetic
        if name == CELL:
            reference = attrs.get("r")
            column = _column(reference) if reference else column + 1
            if not 0 < column <= MAX_CELLS_PER_ROW:
                raise Unreadable(f"classeur .xlsx illisible ({where}) : colonne hors limites")
            kind = attrs.get("t", "n")
            number = attrs.get("s")
            style = int(number) if number and number.isdigit() else 0
            value = None
        elif name == VALUE:
            if kind != "inlineStr":
                parts.clear()
                collecting = True
        elif name == TEXT:
            if inline is not None and not phonetic:
                parts.clear()
                collecting = True
        elif name == ROW:
            number = attrs.get("r")
            row = _row_number(number, where) if number else row + 1
            column = 0
            cells = {}
        elif name == INLINE:
            inline = []
        elif name == PHONETIC:
            phonetic += 1

    def end(name):
        nonlocal cells, value, collecting, inline, phonetic
        if name == VALUE:
            if collecting:
                value = "".join(parts) or None
                collecting = False
        elif name == TEXT:
            if collecting:
                inline.append("".join(parts))
                collecting = False
        elif name == CELL:
            if cells is None:
                return
            if value is not None:
                # At most MAX_CELLS_PER_ROW of them: columns are checked at the cell's start.
                cells[column] = _cell_value(
                    value, kind, style, shared, date_styles, timedelta_styles, epoch, where
                )
        elif name == INLINE:
            if kind == "inlineStr":
                value = "".join(inline)
            inline = None
        elif name == ROW:
            done.append((row, cells))
            cells = None
        elif name == PHONETIC:
            phonetic -= 1

    def chars(data):
        if collecting:
            parts.append(data)

    yield from _feed(_parser(start, end, chars), stream, done)


def _row_number(text: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        number = 0.5
    if not number.is_integer():
        raise Unreadable(f"classeur .xlsx illisible ({where}) : numéro de ligne « {text[:20]} »")
    return int(number)


def _cell_value(text, kind, style, shared, date_styles, timedelta_styles, epoch, where):
    try:
        if kind == "n":
            number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
            if style in date_styles:
                try:
                    return from_excel(number, epoch, timedelta=style in timedelta_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return shared[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
    except (ValueError, IndexError, TypeError):
        raise Unreadable(
            f"classeur .xlsx illisible ({where}) : valeur « {text[:20]} » endommagée"
        ) from None
    return text  # inlineStr, str (a formula's text), e (an error such as #N/A)


def _xlsx_rows(rows: Iterator, width: int) -> Iterator[tuple[int, list]]:
    """Sparse rows as lists of the header's width; a value beyond it adds one cell, which
    ``RawWorkbook.add`` reports (a value out of the header's columns)."""
    for number, cells in rows:
        values = [None] * width
        beyond = False
        for column, value in cells.items():
            if column <= width:
                values[column - 1] = value
            elif not _blank(value):
                beyond = True
        if beyond:
            values.append("…")
        yield number, values


def _read_xlsx(book: RawWorkbook, archive: _Archive, source: str, budget: Budget) -> None:
    damaged = (
        f"classeur .xlsx illisible ({source}) : fichier endommagé. Ouvrez-le dans votre "
        "tableur et enregistrez-le à nouveau."
    )
    try:
        # openpyxl for the structure only (content types, sheets and their parts, styles for
        # the dates); its reading of sheets would build a tree per row.
        reader = ExcelReader(archive.fp, read_only=True, data_only=True, keep_links=False)
        reader.archive.close()
        reader.archive, reader.valid_files = archive, archive.namelist()
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        strings_part = reader.package.find(SHARED_STRINGS)
        sheets = [
            (sheet.name, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
    except Refused:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged structure
        raise Unreadable(damaged) from None
    workbook = reader.wb
    date_styles = set(getattr(workbook, "_date_formats", ()) or ())
    timedelta_styles = set(getattr(workbook, "_timedelta_formats", ()) or ())
    shared: list[str] | None = None
    for title, part in sheets:
        where = f"{source} / {title}"
        if not book.accepts(title, where):
            continue
        if shared is None:  # read once, when a sheet needs it
            shared = []
            if strings_part is not None:
                name = strings_part.PartName[1:]
                limit = budget.limits.max_rows * SHARED_STRINGS_PER_ROW
                with (
                    _french(f"{source} / {name}", damaged),
                    archive.stream(archive.getinfo(name)) as stream,
                ):
                    shared = _shared_strings(stream, limit)
        with _french(where, damaged), archive.stream(archive.getinfo(part)) as stream:
            rows = _sheet_rows(
                stream,
                shared=shared,
                date_styles=date_styles,
                timedelta_styles=timedelta_styles,
                epoch=workbook.epoch,
                where=where,
            )
            first = next(rows, None)
            if first is not None and first[0] == 1:
                header = [None] * max(first[1], default=0)
                for column, value in first[1].items():
                    header[column - 1] = value
            else:  # no row 1: an empty header, and the first row is one of the data
                header = []
                if first is not None:
                    rows = _chain(first, rows)
            book.add(
                title,
                header,
                _xlsx_rows(budget.counted(rows, title.strip().lower()), _width(header)),
                where,
            )


@contextlib.contextmanager
def _french(where: str, damaged: str) -> Iterator[None]:
    """What goes wrong while reading a part of an ``.xlsx``, said in French."""
    try:
        yield
    except Refused:
        raise
    except _Doctype:
        raise Unreadable(
            f"classeur .xlsx illisible ({where}) : déclaration de type de document (DTD) refusée."
        ) from None
    except expat.ExpatError as error:
        raise Unreadable(
            f"classeur .xlsx illisible ({where}) : contenu XML endommagé (ligne "
            f"{error.lineno}, colonne {error.offset}). Ouvrez-le dans votre tableur et "
            "enregistrez-le à nouveau."
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, RuntimeError,
            NotImplementedError):  # fmt: skip
        raise Unreadable(damaged) from None


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest
