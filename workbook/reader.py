"""Reading a workbook: an ``.xlsx`` file, a folder or a ``.zip`` of ``<sheet>.csv`` files, or a
single ``<sheet>.csv``.

CSV files may be UTF-8 (with or without BOM) or Windows-1252, separated by ``,`` or ``;``
(what French spreadsheets write): both are detected. Cells stay raw here (strings, and the
numbers, dates and booleans of ``.xlsx`` cells); ``workbook.values`` parses them.
Row numbers are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from workbook.spec import IGNORED_SHEETS, SHEETS_BY_NAME

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
        name = name.strip().lower()
        if name in IGNORED_SHEETS:
            return
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
            return
        if name in self.sheets:
            self.errors.append(
                ReadError(name, 1, "feuille", f"feuille présente deux fois ({source})")
            )
            return
        names = [_header(cell) for cell in headers]
        while names and not names[-1]:
            names.pop()
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


def _header(cell) -> str:
    if cell is None:
        return ""
    return str(cell).replace("\ufeff", "").strip().lower()


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


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


def read_csv(book: RawWorkbook, name: str, data: bytes, source: str) -> None:
    text = decode(data).replace("\x00", "\ufffd")
    if not text.strip():
        book.errors.append(ReadError(name, 1, "feuille", f"fichier vide ({source})"))
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as error:
        book.errors.append(ReadError(name, 1, "feuille", f"CSV illisible ({source}) : {error}"))
        return
    headers, *rows = records
    book.add(
        name, headers, ((index, row) for index, row in enumerate(rows, start=2)), source, texts=True
    )


# --- xlsx -----------------------------------------------------------------------------------


def read_xlsx(book: RawWorkbook, data: bytes, source: str) -> None:

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        book.errors.append(
            ReadError(FILE, 1, "fichier", f"classeur .xlsx illisible ({source}) : {error}")
        )
        return
    try:
        for worksheet in workbook.worksheets:
            if worksheet.title.strip().lower() in IGNORED_SHEETS:
                continue
            worksheet.reset_dimensions()  # dimensions written by other tools may be wrong
            rows = worksheet.iter_rows(values_only=True)
            headers = next(rows, ())
            book.add(
                worksheet.title,
                list(headers),
                ((index, list(row)) for index, row in enumerate(rows, start=2)),
                f"{source} / {worksheet.title}",
            )
    finally:
        workbook.close()


# --- Entry points ---------------------------------------------------------------------------


def _is_xlsx_zip(archive: zipfile.ZipFile) -> bool:
    return "xl/workbook.xml" in archive.namelist()


def read_bytes(data: bytes, filename: str) -> RawWorkbook:
    """An uploaded file: ``.xlsx``, ``.zip`` of CSV, or one ``<sheet>.csv``."""
    book = RawWorkbook()
    source = Path(filename).name or "fichier"
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            book.errors.append(ReadError(FILE, 1, "fichier", f"archive illisible : {error}"))
            return book
        with archive:
            if _is_xlsx_zip(archive):
                read_xlsx(book, data, source)
            else:
                _read_zip(book, archive, source)
    elif source.lower().endswith(".csv"):
        read_csv(book, Path(source).stem, data, source)
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
    if not book.sheets and not book.errors:
        book.errors.append(ReadError(FILE, 1, "fichier", "aucune feuille à importer"))
    return book


def _read_zip(book: RawWorkbook, archive: zipfile.ZipFile, source: str) -> None:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(".csv")
        and not Path(info.filename).name.startswith((".", "__MACOSX"))
        and "__MACOSX" not in info.filename
    ]
    for info in sorted(members, key=lambda i: i.filename):
        if info.file_size > 512 * 1024 * 1024:
            book.errors.append(ReadError(FILE, 1, "fichier", f"{info.filename} : trop volumineux"))
            continue
        read_csv(book, Path(info.filename).stem, archive.read(info), info.filename)


def read_path(path: Path | str) -> RawWorkbook:
    """A file or a folder of the command line."""
    path = Path(path)
    if path.is_dir():
        book = RawWorkbook()
        for csv_path in sorted(path.glob("*.csv")):
            read_csv(book, csv_path.stem, csv_path.read_bytes(), csv_path.name)
        if not book.sheets and not book.errors:
            book.errors.append(
                ReadError(FILE, 1, "fichier", f"aucun fichier .csv dans le dossier {path}")
            )
        return book
    if not path.exists():
        book = RawWorkbook()
        book.errors.append(ReadError(FILE, 1, "fichier", f"fichier introuvable : {path}"))
        return book
    return read_bytes(path.read_bytes(), path.name)
