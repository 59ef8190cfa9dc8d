"""The template a French user fills: French labels beside the codes (header comments, the
``notice`` sheet), bare codes as the header row of every data sheet, and an import that skips
the ``notice`` and ``codes`` sheets. The export page and the command say what the file holds."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from iml.models import Role
from iml.rls import organisation_transaction
from support.models import Interaction
from tests.conftest import login
from tests.workbook.builders import base_sheets, csv_bytes, write_xlsx
from tests.workbook.helpers import created, fresh_factor, run
from workbook import exporter, spec
from workbook.importer import import_workbook
from workbook.management.commands.export_workbook import Command as ExportCommand
from workbook.reader import read_bytes, read_path
from workbook.template import NOTICE_HEADER, template_bytes

DATA_SHEETS = [sheet.name for sheet in spec.SHEETS]


@pytest.fixture(scope="module")
def template():
    return load_workbook(io.BytesIO(template_bytes()))


def notice_table(template) -> list[tuple]:
    """The notice's table: the rows from its header row on."""
    rows = list(template[spec.NOTICE_SHEET].iter_rows(values_only=True))
    start = rows.index(NOTICE_HEADER)
    return rows[start:]


def fill(sheets) -> bytes:
    """The template with ``sheets``' rows written under its headers, column by column name."""
    book = load_workbook(io.BytesIO(template_bytes()))
    for name, (header, *rows) in sheets.items():
        worksheet = book[name]
        codes = [cell.value for cell in worksheet[1]]
        for row in rows:
            values = dict(zip(header, row, strict=True))
            worksheet.append([values.get(code) or None for code in codes])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Labels ---------------------------------------------------------------------------------


def test_every_column_has_a_french_label():
    for sheet in spec.SHEETS:
        for column in sheet.columns:
            where = f"{sheet.name}.{column.name}"
            assert column.label.strip(), where
            assert column.label != column.name, where
            assert "'" not in column.label + column.help, where  # the typographic ’ only
    labels = {column.name: column.label for column in spec.SHEETS_BY_NAME["menages"].columns}
    assert labels["orientation_date"] == "Date d’orientation SIAO"
    assert labels["exit_destination"] == "Destination à la sortie"
    assert spec.SHEETS_BY_NAME["interactions"].columns_by_name["staff"].label == (
        "Intervenant·es (e-mails)"
    )


def test_the_support_contracts_carry_a_referent_after_their_objectives():
    names = spec.SHEETS_BY_NAME["accompagnements"].column_names
    assert names[names.index("objectives") + 1] == "referent"
    referent = spec.SHEETS_BY_NAME["accompagnements"].columns_by_name["referent"]
    assert not referent.required and referent.label == "Référent·e (e-mail)"


# --- The template ---------------------------------------------------------------------------


def test_sheets_notice_first_codes_last(template):
    assert template.sheetnames == [spec.NOTICE_SHEET, *DATA_SHEETS, spec.CODES_SHEET]
    assert template.active.title == spec.NOTICE_SHEET


def test_header_rows_are_exactly_the_codes(template):
    for sheet in spec.SHEETS:
        worksheet = template[sheet.name]
        assert [cell.value for cell in worksheet[1]] == sheet.column_names
        assert worksheet.max_row == 1  # no second header row: the codes are the contract
        for cell, column in zip(worksheet[1], sheet.columns, strict=True):
            comment = cell.comment.text
            assert comment.startswith(f"{column.label} — "), comment
            required = "Obligatoire." if column.required else "Facultatif."
            assert comment.startswith(f"{column.label} — {required} "), comment
            assert column.help in comment
            assert bool(cell.font.bold) == column.required


def test_a_header_comment_reads_label_then_format(template):
    comment = template["menages"]["D1"].comment.text
    assert comment.startswith("Date d’orientation SIAO — Facultatif. date AAAA-MM-JJ")
    assert "le ménage ne compte dans aucun chiffre d’orientation" in comment


def test_the_notice_lists_every_column_with_its_label(template):
    header, *rows = notice_table(template)
    assert header == ("feuille", "colonne", "libellé", "obligatoire", "format", "aide")
    expected = [
        (sheet.name, column.name, column.label, "oui" if column.required else "non")
        for sheet in spec.SHEETS
        for column in sheet.columns
    ]
    assert [row[:4] for row in rows] == expected
    for row, column in zip(rows, (c for s in spec.SHEETS for c in s.columns), strict=True):
        assert row[4], row  # a format for every column
        assert (row[5] or "") == column.help
    formats = {(row[0], row[1]): row[4] for row in rows}
    assert "liste « exit_destination »" in formats[("menages", "exit_destination")]
    assert formats[("menages", "entry_date")] == "date AAAA-MM-JJ ou JJ/MM/AAAA"


def test_the_notice_explains_how_to_fill_the_workbook(template):
    rows = list(template[spec.NOTICE_SHEET].iter_rows(values_only=True))
    text = " ".join(row[0] for row in rows[: rows.index(NOTICE_HEADER)] if row[0])
    for words in (
        "peut être supprimée",  # sheets may be omitted
        "feuille « codes »",
        "AAAA-MM-JJ ou JJ/MM/AAAA",
        "512,40",
        "séparées par « ; »",
        "tout ou rien",
        "ne change rien",
        "sont ignorées par l’import",
    ):
        assert words in text, words


# --- Importing the template -----------------------------------------------------------------


def test_the_unchanged_template_reads_without_error():
    book = read_bytes(template_bytes(), "modele-classeur-iml.xlsx")
    assert book.errors == []
    assert sorted(book.sheets) == sorted(DATA_SHEETS)
    assert all(not raw.rows for raw in book.sheets.values())


def test_a_filled_template_imports_with_its_notice_and_codes(org_a, staff_a):
    sheets = base_sheets()
    data = fill(sheets)
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == spec.NOTICE_SHEET
    book = read_bytes(data, "modele-rempli.xlsx")
    assert book.errors == []
    with organisation_transaction(org_a):
        analysis = import_workbook(book, org_a)
    assert created(analysis) == {name: len(rows) - 1 for name, rows in sheets.items()}
    # The same file again changes nothing.
    with organisation_transaction(org_a):
        again = import_workbook(read_bytes(data, "modele-rempli.xlsx"), org_a)
    assert all(sheet["create"] + sheet["update"] == 0 for sheet in again.preview())


def test_notice_and_codes_are_ignored_whatever_their_content_but_not_other_sheets(tmp_path):
    sheets = {
        "Notice ": [["Classeur d’échange IML"], ["n’importe quoi", 3]],
        "CODES": [["liste", "code"], ["sex", "f"]],
        "menages": [["ref", "dispositif"], ["M1", "IML-W"]],
        "Feuil1": [["a"], ["b"]],
    }
    book = read_path(write_xlsx(tmp_path / "c.xlsx", sheets))
    messages = [str(error) for error in book.errors]
    assert len(messages) == 1 and messages[0].startswith("feuil1:1: feuille: feuille inconnue")
    assert list(book.sheets) == ["menages"]


def test_notice_and_codes_csv_files_are_ignored(tmp_path):
    path = tmp_path / "c.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notice.csv", csv_bytes([["feuille", "colonne"], ["menages", "ref"]]))
        archive.writestr("codes.csv", csv_bytes([["liste", "code"], ["sex", "f"]]))
        archive.writestr("menages.csv", csv_bytes([["ref", "dispositif"], ["M1", "IML-W"]]))
        archive.writestr("autre.csv", csv_bytes([["a"], ["b"]]))
    book = read_path(path)
    assert [str(error).split(": feuille inconnue")[0] for error in book.errors] == [
        "autre:1: feuille"
    ]
    assert list(book.sheets) == ["menages"]


# --- What the export holds ------------------------------------------------------------------


@pytest.fixture
def admin(client, members_a):
    return login(client, members_a[Role.ADMIN])


def test_the_export_page_says_what_the_download_holds(admin):
    page = admin.get(reverse("workbook:import_upload")).content.decode()
    assert "avec les notes confidentielles des interactions" not in page  # the old claim
    for sheet in spec.SHEETS:
        assert sheet.label in page, sheet.name
    assert "Les colonnes du dossier social en sont absentes" in page
    for sheet, columns in exporter.CONFIDENTIAL.items():
        named = ", ".join(f"<code>{column}</code>" for column in columns)
        assert f"{named} de la feuille « {sheet} »" in page
    assert "colonne <code>notes</code> de la feuille « interactions »" in page
    assert "colonne <code>needs</code> de la feuille « suivis_sortie »" in page
    assert "importer ce fichier à nouveau garde les notes déjà enregistrées" in page
    assert "Seul l’export en ligne de commande (<code>export_workbook</code>)" in page
    assert "contient ces notes" in page


def test_the_download_is_what_the_page_says(admin, org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    data = fresh_factor(admin).get(reverse("workbook:export_download")).content
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == DATA_SHEETS
    for sheet in spec.SHEETS:
        header = next(book[sheet.name].iter_rows(max_row=1, values_only=True))
        left_out = exporter.CONFIDENTIAL.get(sheet.name, ())
        assert list(header) == [name for name in sheet.column_names if name not in left_out]
    # Imported back, it keeps the notes it does not carry.
    with organisation_transaction(org_a):
        import_workbook(read_bytes(data, "export.xlsx"), org_a)
    with organisation_transaction(org_a):
        notes = sorted(Interaction.objects.values_list("notes", flat=True))
    assert notes == ["", "Deuxième passage", "Première visite"]


def test_the_command_line_export_writes_the_notes(org_a, staff_a, tmp_path):
    assert "notes confidentielles des interactions" in ExportCommand.help
    run(org_a, tmp_path)
    target = tmp_path / "export.xlsx"
    call_command("export_workbook", str(target), organisation=org_a.slug, stdout=io.StringIO())
    rows = list(load_workbook(target)["interactions"].iter_rows(values_only=True))
    assert rows[0] == tuple(spec.SHEETS_BY_NAME["interactions"].column_names)
    notes = sorted(row[rows[0].index("notes")] or "" for row in rows[1:])
    assert notes == ["", "Deuxième passage", "Première visite"]
