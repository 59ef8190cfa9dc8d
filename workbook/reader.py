"""Reading a workbook: an ``.xlsx`` file, a folder or a ``.zip`` of ``<sheet>.csv`` files, or a
single ``<sheet>.csv``.

CSV files may be UTF-8 (with or without BOM) or Windows-1252, separated by ``,`` or ``;``
(what French spreadsheets write): both are detected. Cells stay raw here (strings, and the
numbers, dates and booleans of ``.xlsx`` cells); ``workbook.values`` parses them.
Row numbers are those a spreadsheet shows: the header is row 1.

**Sizes are capped** (``Limits``: settings ``WORKBOOK_MAX_BYTES``,
``WORKBOOK_MAX_ROWS_PER_SHEET``, ``WORKBOOK_MAX_ROWS``) because a few hundred kilobytes of zip
can expand to gigabytes: the declared sizes of an archive's members are checked before
anything is read, then every byte is counted again as it is decompressed (a declared size
can lie), and rows are counted as they are read. Everything is streamed: a CSV line by line,
an ``.xlsx`` sheet by an expat parser that builds no tree (memory stays at one row whatever the
XML holds). Past a cap, reading stops and the workbook holds one French error and no sheet.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from workbook.limits import (
    CHUNK,
    MAX_COLUMNS,
    MAX_ENTRIES,
    MAX_LINE,
    UNCAPPED,  # noqa: F401 (re-exported: the benchmark reads uncapped)
    Budget,
    Limits,
    Refused,
    TooLarge,
    Unreadable,
    _blank,
    _Counted,
    _header,
    _megabytes,
    _number,
)
from workbook.spec import IGNORED_SHEETS, SHEETS_BY_NAME
from workbook.values import unescape_formula
from workbook.xlsx import _Archive, _read_xlsx

FILE = "classeur"  # the "sheet" of errors about the file itself


@dataclass
class RawSheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number, cells in header order)
    source: str = ""


@dataclass
class ReadError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}:{self.row}: {self.column}: {self.message}"


@dataclass
class RawWorkbook:
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    errors: list[ReadError] = field(default_factory=list)

    def accepts(self, name: str, source: str) -> bool:
        """Whether a sheet of this name is to be read: not the template's ``notice`` and
        ``codes``, and a sheet of the format, once (else an error says why)."""
        name = name.strip().lower()
        if name in IGNORED_SHEETS:
            return False
        if name not in SHEETS_BY_NAME:
            self.errors.append(
                ReadError(
                    name or source,
                    1,
                    "feuille",
                    f"feuille inconnue « {source} » (feuilles attendues : "
                    f"{', '.join(SHEETS_BY_NAME)})",
                )
            )
            return False
        if name in self.sheets:
            self.errors.append(
                ReadError(name, 1, "feuille", f"feuille présente deux fois ({source})")
            )
            return False
        return True

    def add(
        self,
        name: str,
        headers: list,
        rows: Iterable[tuple[int, list]],
        source: str,
        *,
        texts: bool = False,
    ):
        """Check the sheet's name and header, then keep its non-empty rows. The template's
        ``notice`` and ``codes`` sheets are skipped."""
        if not self.accepts(name, source):
            return
        name = name.strip().lower()
        names = [_header(cell) for cell in headers]
        while names and not names[-1]:
            names.pop()
        if len(names) > MAX_COLUMNS:
            self.errors.append(
                ReadError(
                    name,
                    1,
                    "feuille",
                    f"{_number(len(names))} colonnes dans l’en-tête, {MAX_COLUMNS} au plus "
                    "(feuille non lue)",
                )
            )
            return
        columns = SHEETS_BY_NAME[name].columns_by_name
        problems = False
        seen: set[str] = set()
        for index, header in enumerate(names, start=1):
            if not header:
                self.errors.append(
                    ReadError(name, 1, f"colonne {index}", "colonne sans nom dans l’en-tête")
                )
                problems = True
            elif header not in columns:
                self.errors.append(
                    ReadError(
                        name,
                        1,
                        header,
                        f"colonne inconnue (colonnes de la feuille : {', '.join(columns)})",
                    )
                )
                problems = True
            elif header in seen:
                self.errors.append(ReadError(name, 1, header, "colonne présente deux fois"))
                problems = True
            seen.add(header)
        for required in SHEETS_BY_NAME[name].required:
            if required not in seen:
                self.errors.append(ReadError(name, 1, required, "colonne obligatoire absente"))
        width = len(names)
        kept = []
        for number, cells in rows:
            if texts:
                if not "".join(cells).strip():
                    continue
            elif all(_blank(cell) for cell in cells):
                continue
            if len(cells) > width:
                extra = cells[width:]
                if any(not _blank(cell) for cell in extra):
                    self.errors.append(
                        ReadError(name, number, "ligne", "valeur hors des colonnes de l’en-tête")
                    )
                cells = cells[:width]
            elif len(cells) < width:
                cells += [None] * (width - len(cells))
            kept.append((number, cells))
        if problems:
            # Columns that cannot be read: keep only the known ones, once.
            keep = [
                i
                for i, header in enumerate(names)
                if header in columns and names.index(header) == i
            ]
            names = [names[i] for i in keep]
            kept = [(number, [cells[i] for i in keep]) for number, cells in kept]
        self.sheets[name] = RawSheet(name, names, kept, source)


# --- CSV ------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1252 (else Latin-1, which decodes anything)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# Tried in this order; Latin-1 decodes anything. ``utf-8-sig`` drops a BOM.
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# A line that may hold a cell the export escaped (``workbook.values.escape_formula``).
_ESCAPED = re.compile(r"'['=+\-@\t\r]")


def detect_delimiter(text: str) -> str:
    """``;`` or ``,``: whichever the header line holds more of, outside quotes."""
    first = text.split("\n", 1)[0]
    counts = {";": 0, ",": 0}
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


class _Empty(Exception):
    pass


def _csv_records(opener: Callable, encoding: str, source: str, budget: Budget, sheet: str):
    """Every record of a CSV, decoded as ``encoding`` (``UnicodeDecodeError`` when it is not
    that), line by line: a line is at most ``MAX_LINE`` long, rows are counted."""
    with opener() as raw:
        text = io.TextIOWrapper(
            io.BufferedReader(_Counted(raw, budget), CHUNK), encoding=encoding, newline=""
        )
        first = text.readline(MAX_LINE + 1)
        content = escaped = False
        number = 0

        def lines() -> Iterator[str]:
            nonlocal content, escaped, number
            line = first
            while line:
                number += 1
                if len(line) > MAX_LINE:
                    raise TooLarge(
                        f"Ligne {number} de « {source} » trop longue : "
                        f"{_megabytes(MAX_LINE)} au plus."
                    )
                if "\x00" in line:
                    line = line.replace("\x00", "\ufffd")
                if not content and line.strip():
                    content = True
                if not escaped and "'" in line and _ESCAPED.search(line):
                    escaped = True
                yield line
                line = text.readline(MAX_LINE + 1)

        reader = csv.reader(lines(), delimiter=detect_delimiter(first))
        header = next(reader, [])
        records = [header, *budget.counted(reader, sheet)]
    if not content:
        raise _Empty
    if escaped:
        for record in records:
            for index, cell in enumerate(record):
                if cell[:1] == "'":
                    record[index] = unescape_formula(cell)
    return records


def _read_csv(book: RawWorkbook, name: str, opener: Callable, source: str, budget: Budget):
    """``opener()`` gives the file from its start (a second time when it is not UTF-8)."""
    if not book.accepts(name, source):
        return
    mark = budget.mark()
    for encoding in ENCODINGS:
        budget.reset(mark)
        try:
            records = _csv_records(opener, encoding, source, budget, name)
        except UnicodeDecodeError:
            continue
        except _Empty:
            book.errors.append(ReadError(name, 1, "feuille", f"fichier vide ({source})"))
            return
        except csv.Error as error:
            # The csv module's messages are English: say it in French.
            why = (
                f"une cellule dépasse {csv.field_size_limit() // 1024} Ko (guillemet non fermé ?)"
                if "field larger" in str(error)
                else "contenu invalide"
            )
            book.errors.append(ReadError(name, 1, "feuille", f"CSV illisible ({source}) : {why}"))
            return
        break
    headers = records[0]
    book.add(
        name,
        headers,
        ((index, records[index - 1]) for index in range(2, len(records) + 1)),
        source,
        texts=True,
    )


# --- Entry points ---------------------------------------------------------------------------


def _entries(handle) -> int | None:
    """The number of members an archive declares (end of central directory), read before
    ``zipfile`` builds one object per member; None when the record is not found."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 65_557))
    tail = handle.read()
    handle.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 12:
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    return MAX_ENTRIES + 1 if count == 0xFFFF else count  # 0xFFFF: zip64, thousands of files


def _read_file(book: RawWorkbook, opener: Callable, name: str, budget: Budget) -> None:
    """``opener()`` gives a seekable binary file: an upload's bytes, or a file on disk."""
    source = Path(name).name or "fichier"
    with opener() as handle:
        is_zip = zipfile.is_zipfile(handle)
        handle.seek(0)
        if is_zip:
            entries = _entries(handle)
            if entries is not None and entries > MAX_ENTRIES:
                raise TooLarge(
                    f"Archive trop volumineuse : {_number(entries)} fichiers, "
                    f"{_number(MAX_ENTRIES)} au plus."
                )
            try:
                archive = _Archive(handle)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
                raise Unreadable("archive illisible : fichier endommagé") from None
            archive.budget = budget
            with archive:
                budget.declared(sum(info.file_size for info in archive.infolist()))
                if "xl/workbook.xml" in archive.namelist():
                    _read_xlsx(book, archive, source, budget)
                else:
                    _read_zip(book, archive, budget)
            return
        handle.seek(0, io.SEEK_END)
        budget.declared(handle.tell())
    if source.lower().endswith(".csv"):
        _read_csv(book, Path(source).stem, opener, source, budget)
    else:
        book.errors.append(
            ReadError(
                FILE,
                1,
                "fichier",
                "format non reconnu : envoyez un classeur .xlsx, une archive .zip de fichiers "
                ".csv, ou un fichier <feuille>.csv",
            )
        )


def _read_zip(book: RawWorkbook, archive: _Archive, budget: Budget) -> None:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(".csv")
        and not Path(info.filename).name.startswith((".", "__MACOSX"))
        and "__MACOSX" not in info.filename
    ]
    for info in sorted(members, key=lambda i: i.filename):
        try:
            _read_csv(
                book, Path(info.filename).stem, lambda i=info: archive.raw(i), info.filename,
                budget,
            )  # fmt: skip
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError):  # fmt: skip
            raise Unreadable(
                f"archive illisible : « {info.filename} » est endommagé ou chiffré"
            ) from None


def _refused(error: Refused) -> RawWorkbook:
    book = RawWorkbook()
    book.errors.append(ReadError(FILE, 1, "fichier", error.message))
    return book


def _finish(book: RawWorkbook) -> RawWorkbook:
    if not book.sheets and not book.errors:
        book.errors.append(ReadError(FILE, 1, "fichier", "aucune feuille à importer"))
    return book


def read_bytes(data: bytes, filename: str, *, limits: Limits | None = None) -> RawWorkbook:
    """An uploaded file: ``.xlsx``, ``.zip`` of CSV, or one ``<sheet>.csv``."""
    book = RawWorkbook()
    budget = Budget(limits or Limits.from_settings())
    try:
        _read_file(book, lambda: io.BytesIO(data), filename, budget)
    except Refused as error:
        return _refused(error)
    return _finish(book)


def read_path(path: Path | str, *, limits: Limits | None = None) -> RawWorkbook:
    """A file or a folder of the command line, streamed from the disk."""
    path = Path(path)
    book = RawWorkbook()
    budget = Budget(limits or Limits.from_settings())
    try:
        if path.is_dir():
            files = sorted(path.glob("*.csv"))
            budget.declared(sum(csv_path.stat().st_size for csv_path in files))
            for csv_path in files:
                _read_csv(
                    book, csv_path.stem, lambda p=csv_path: p.open("rb"), csv_path.name, budget
                )
            if not book.sheets and not book.errors:
                book.errors.append(
                    ReadError(FILE, 1, "fichier", f"aucun fichier .csv dans le dossier {path}")
                )
            return book
        if not path.exists():
            book.errors.append(ReadError(FILE, 1, "fichier", f"fichier introuvable : {path}"))
            return book
        # Even compressed, a file larger than the cap cannot hold less once decompressed.
        budget.declared(path.stat().st_size)
        _read_file(book, lambda: path.open("rb"), path.name, budget)
    except Refused as error:
        return _refused(error)
    return _finish(book)
