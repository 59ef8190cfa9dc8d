"""Decompression bombs and damaged files. The caps are checked on the sizes an archive
declares, then again while it decompresses (a declared size can lie), and on rows as they are
read; past one, the workbook holds one French error and no sheet; the command exits with
status 1 and writes nothing; a damaged ``.xlsx`` is a French message, never a 500."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.factories import OrganisationFactory
from tests.workbook.builders import (
    MOUVEMENTS,
    base_sheets,
    csv_bytes,
    patch_declared_sizes,
    replace_member,
    sheet_member,
    write_xlsx,
    write_zip,
    xlsx_with_rows,
)
from tests.workbook.helpers import counts
from workbook import reader
from workbook.reader import Limits, read_bytes, read_path

NBSP = "\u202f"  # thousands
MO = "\u00a0Mo"
LINE = b"E00000001,C1,2024-01-01,appel,500.00,,2024-01,\n"


def messages(book) -> list[str]:
    return [str(error) for error in book.errors]


def refused(book) -> str:
    """The one error of a refused file (and nothing of it is kept)."""
    assert not book.sheets
    assert len(book.errors) == 1, messages(book)
    return messages(book)[0]


def mouvements_csv(rows: int) -> bytes:
    return ",".join(MOUVEMENTS).encode() + b"\n" + LINE * rows


# --- Rows ----------------------------------------------------------------------------------


def test_an_xlsx_with_too_many_rows_in_a_sheet_is_refused(tmp_path):
    """The 190 KB ``.xlsx`` of 600 000 rows, at a smaller scale: reading stops at the cap."""
    path = xlsx_with_rows(tmp_path / "lignes.xlsx", 120)
    book = read_path(path, limits=Limits(max_rows_per_sheet=100))
    assert refused(book) == (
        "classeur:1: fichier: Trop de lignes dans la feuille « mouvements » : plus de 100, "
        "100 au plus. Découpez-la en plusieurs classeurs."
    )
    assert not read_path(path, limits=Limits(max_rows_per_sheet=120)).errors


def test_generated_workbooks_may_go_uncapped(tmp_path):
    path = xlsx_with_rows(tmp_path / "lignes.xlsx", 120)
    assert refused(read_path(path, limits=Limits(max_rows=100)))
    assert not read_path(path, limits=reader.UNCAPPED).errors


def test_the_rows_of_every_sheet_together_are_capped(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "mouvements.csv").write_bytes(mouvements_csv(60))
    (folder / "ressources.csv").write_bytes(
        b"menage,date,resources\n" + b"M1,2024-01-01,rsa\n" * 60
    )
    book = read_path(folder, limits=Limits(max_rows_per_sheet=100, max_rows=100))
    assert refused(book) == (
        "classeur:1: fichier: Trop de lignes dans le classeur : plus de 100, 100 au plus. "
        "Découpez-le en plusieurs classeurs."
    )


def test_empty_rows_count_too(tmp_path):
    """An ``.xlsx`` can number its rows up to 1 048 576 in a few bytes each."""
    path = xlsx_with_rows(tmp_path / "c.xlsx", 1)
    member = sheet_member(path, "mouvements")
    rows = "".join(f'<row r="{n}"/>' for n in range(3, 300))
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c></row>'
        f"{rows}</sheetData></worksheet>"
    )
    replace_member(path, member, xml.encode())
    assert "Trop de lignes" in refused(read_path(path, limits=Limits(max_rows_per_sheet=200)))


# --- Bytes ---------------------------------------------------------------------------------


def test_a_zip_declaring_more_than_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    archive = tmp_path / "classeur.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("mouvements.csv", mouvements_csv(50_000))  # 2.4 MB, 8 KB zipped
    monkeypatch.setattr(reader, "_read_csv", lambda *args: pytest.fail("read"))
    book = read_path(archive, limits=Limits(max_bytes=1024 * 1024))
    assert refused(book) == (
        f"classeur:1: fichier: Fichier trop volumineux une fois décompressé : 3{MO}, "
        f"1{MO} au plus. Découpez-le en plusieurs classeurs."
    )


def test_an_xlsx_declaring_600_mb_is_refused_with_the_default_caps(tmp_path):
    path = xlsx_with_rows(tmp_path / "c.xlsx", 3)
    patch_declared_sizes(path, sheet_member(path, "mouvements"), 600 * 1024 * 1024)
    assert "Fichier trop volumineux une fois décompressé : 601" in refused(read_path(path))
    assert f"512{MO} au plus" in refused(read_bytes(path.read_bytes(), "c.xlsx"))


def test_bytes_are_counted_while_decompressing(tmp_path, monkeypatch):
    """Were a declared size to pass the check, the bytes decompressed are counted anyway."""
    archive = tmp_path / "classeur.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("mouvements.csv", mouvements_csv(50_000))
    monkeypatch.setattr(reader.Budget, "declared", lambda self, size: None)
    assert refused(read_path(archive, limits=Limits(max_bytes=1024 * 1024))) == (
        f"classeur:1: fichier: Fichier trop volumineux une fois décompressé : plus de "
        f"1{MO}, 1{MO} au plus. Découpez-le en plusieurs classeurs."
    )
    path = xlsx_with_rows(tmp_path / "c.xlsx", 20_000)
    assert "plus de 1" in refused(read_path(path, limits=Limits(max_bytes=1024 * 1024)))


def test_a_declared_size_smaller_than_the_content_is_a_damaged_archive(tmp_path):
    archive = write_zip(tmp_path / "classeur.zip", base_sheets())
    patch_declared_sizes(archive, "classeur/menages.csv", 10)
    assert refused(read_path(archive)) == (
        "classeur:1: fichier: archive illisible : « classeur/menages.csv » est endommagé ou chiffré"
    )


def test_a_folder_larger_than_the_cap_is_refused_before_reading(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "mouvements.csv").write_bytes(mouvements_csv(50_000))
    assert f"3{MO}" in refused(read_path(folder, limits=Limits(max_bytes=1024 * 1024)))


def test_a_csv_line_is_at_most_one_megabyte(tmp_path):
    data = b"ref,dispositif\n" + b"M1," + b"x" * (1024 * 1024 + 10) + b"\n"
    assert refused(read_bytes(data, "menages.csv")) == (
        f"classeur:1: fichier: Ligne 2 de « menages.csv » trop longue : 1{MO} au plus."
    )


def test_a_cell_is_at_most_128_kb(tmp_path):
    data = b'ref,dispositif\nM1,"' + b"x" * 200_000 + b'"\n'
    assert messages(read_bytes(data, "menages.csv")) == [
        "menages:1: feuille: CSV illisible (menages.csv) : une cellule dépasse 128 Ko "
        "(guillemet non fermé ?)"
    ]


def test_an_archive_of_thousands_of_files_is_refused(tmp_path):
    archive = tmp_path / "classeur.zip"
    with zipfile.ZipFile(archive, "w") as target:
        for number in range(1001):
            target.writestr(f"f{number}.txt", b"")
    assert refused(read_path(archive)) == (
        f"classeur:1: fichier: Archive trop volumineuse : 1{NBSP}001 fichiers, 1{NBSP}000 au plus."
    )


def test_a_header_of_thousands_of_columns_is_refused(tmp_path):
    header = ",".join(["ref"] + [f"c{n}" for n in range(70)]).encode()
    book = read_bytes(header + b"\nM1\n", "menages.csv")
    assert messages(book) == [
        "menages:1: feuille: 71 colonnes dans l’en-tête, 64 au plus (feuille non lue)"
    ]


# --- Damaged .xlsx -------------------------------------------------------------------------


def _damaged(tmp_path, xml: bytes) -> str:
    path = write_xlsx(tmp_path / "c.xlsx", base_sheets())
    replace_member(path, sheet_member(path, "menages"), xml)
    return refused(read_path(path))


def test_broken_xml_in_a_sheet_is_a_french_message(tmp_path):
    message = _damaged(
        tmp_path,
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData><row><c><v>1</v></row>",
    )
    assert message == (
        "classeur:1: fichier: classeur .xlsx illisible (c.xlsx / menages) : contenu XML "
        "endommagé (ligne 1, colonne 106). Ouvrez-le dans votre tableur et enregistrez-le "
        "à nouveau."
    )


def test_an_xml_entity_bomb_is_refused(tmp_path):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData>'
        b"</worksheet>"
    )
    assert "déclaration de type de document (DTD) refusée" in _damaged(tmp_path, bomb)


def test_a_cell_beyond_the_last_column_of_excel_is_refused(tmp_path):
    cells = "<c><v>1</v></c>" * 16_385  # no reference: each cell is the next column
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    )
    assert "colonne hors limites" in _damaged(tmp_path, xml.encode())


def test_a_damaged_structure_is_a_french_message(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", base_sheets())
    replace_member(path, "xl/workbook.xml", b"<workbook")
    assert refused(read_path(path)) == (
        "classeur:1: fichier: classeur .xlsx illisible (c.xlsx) : fichier endommagé. "
        "Ouvrez-le dans votre tableur et enregistrez-le à nouveau."
    )


def test_too_many_shared_strings_are_refused(tmp_path):
    """Texts an ``.xlsx`` shares between cells are held in memory: at most 4 per row."""
    path = write_xlsx(tmp_path / "c.xlsx", base_sheets())
    strings = "".join(f"<si><t>texte {n}</t></si>" for n in range(9))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{strings}</sst>",
        )
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
    types = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    replace_member(path, "[Content_Types].xml", types.encode())
    assert "plus de 8 textes différents" in refused(read_path(path, limits=Limits(max_rows=2)))
    assert not read_path(path, limits=Limits(max_rows=100)).errors


# --- The command ---------------------------------------------------------------------------


def test_the_command_refuses_a_bomb_with_status_1_and_writes_nothing(
    org_a, staff_a, tmp_path, settings
):
    settings.WORKBOOK_MAX_ROWS_PER_SHEET = 1000
    archive = tmp_path / "bombe.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("mouvements.csv", mouvements_csv(5000))
        target.writestr("menages.csv", csv_bytes(base_sheets()["menages"]))
    before = counts(org_a)
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_workbook", str(archive), organisation="alpha", stderr=err)
    assert info.value.returncode == 1
    assert err.getvalue().splitlines() == [
        f"classeur:1: fichier: Trop de lignes dans la feuille « mouvements » : plus de "
        f"1{NBSP}000, 1{NBSP}000 au plus. Découpez-la en plusieurs classeurs."
    ]
    assert counts(org_a) == before
    with pytest.raises(CommandError):  # nor is an organisation created for it
        call_command("import_workbook", str(archive), organisation="neuve",
                     create_organisation="Neuve", stderr=io.StringIO())  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_real_command_survives_a_zip_of_three_million_rows(tmp_path):
    """The audit's case, with the default caps: a 400 KB zip of 3 000 000 ledger rows used to
    end in ``MemoryError``; it stops at 750 000 rows, exit status 1, a French message."""
    OrganisationFactory(name="Association Alpha", slug="alpha")
    archive = tmp_path / "bombe.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        target.writestr("mouvements.csv", mouvements_csv(3_000_000))
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={db['HOST']}"
    if not db["HOST"].startswith("/"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iml.settings_test",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_workbook", str(archive), "--organisation",
         "alpha"],
        cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Trop de lignes dans la feuille « mouvements » : plus de 750\u202f000" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
