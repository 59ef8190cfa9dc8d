"""Small workbooks for the tests, built in tmp_path: ``.xlsx``, folders and zips of CSV."""

from __future__ import annotations

import copy
import csv
import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook

from workbook.reader import read_path

Sheets = dict[str, list[list]]  # sheet -> [header, row, row…]

STAFF_EMAIL = "social_worker@alpha.example"
MOUVEMENTS = ["ref", "contrat", "date", "kind", "amount", "method", "period", "cancels"]


def base_sheets() -> Sheets:
    """A complete small workbook: every sheet, ISO dates and dots (as the export writes)."""
    return copy.deepcopy(
        {
            "dispositifs": [
                ["code", "name", "category", "zone", "funder", "places", "report_start_month",
                 "age_brackets"],
                ["IML-W", "IML classique W", "classique", "detendue", "DDETS — BOP 177", "10",
                 "1", "0-17;18-24;25-39;40-59;60+"],
            ],
            "logements": [
                ["ref", "dispositif", "address", "postcode", "city", "sector", "typology",
                 "places", "parc", "landlord", "management_mode", "anah_convention",
                 "colocation", "rent", "charges", "captation_date", "return_date",
                 "return_reason"],
                ["L1", "IML-W", "3 rue des Lilas", "71100", "Chalon-sur-Saône", "Nord", "t3",
                 "3", "prive", "M. Dupont", "sous_location", "aucun", "false", "500.00",
                 "50.00", "2023-01-01", "", ""],
                ["L2", "IML-W", "8 avenue de Paris", "71100", "Chalon-sur-Saône", "", "t4",
                 "4", "public", "OPAC 71", "sous_location", "", "true", "700.00", "80.00",
                 "2023-01-01", "", ""],
            ],
            "chambres": [
                ["ref", "logement", "places"],
                ["L2-A", "L2", "1"],
                ["L2-B", "L2", "2"],
            ],
            "menages": [
                ["ref", "dispositif", "siao_ref", "orientation_date", "orienting_structure",
                 "prior_situation", "reinforced", "entry_date", "exit_date",
                 "exit_destination", "bail_glissant", "exit_support", "withdrawal_date",
                 "withdrawal_reason"],
                ["M1", "IML-W", "SIAO-1", "2023-02-01", "CADA Le Pont", "asile", "false",
                 "2023-03-01", "", "", "false", "", "", ""],
                ["M2", "IML-W", "", "2023-03-01", "", "rue", "true", "2023-04-01",
                 "2024-06-01", "logement_social", "false", "asll", "", ""],
                ["M3", "IML-W", "", "2025-01-10", "", "", "false", "", "", "", "false", "",
                 "", ""],
                ["M4", "IML-W", "", "2024-01-10", "", "tiers", "false", "", "", "", "false",
                 "", "2024-03-01", "sans_nouvelles"],
            ],
            "personnes": [
                ["ref", "menage", "last_name", "first_name", "sex", "birth_date", "role",
                 "nationality", "protection_status", "joined_date", "left_date"],
                ["P1", "M1", "Haddad", "Amina", "f", "1990-05-04", "referent", "SD",
                 "refugie", "", ""],
                ["P2", "M1", "Haddad", "Bilal", "m", "2015-01-01", "enfant", "SD", "refugie",
                 "", ""],
                ["P3", "M2", "Martin", "Chloé", "f", "1985-02-03", "referent", "FR",
                 "francais", "", ""],
                ["P4", "M3", "Diallo", "Dan", "m", "2000-07-08", "referent", "", "", "", ""],
                ["P5", "M4", "Nguyen", "Ève", "f", "1970-09-10", "referent", "", "", "", ""],
            ],
            "ressources": [
                ["menage", "date", "resources"],
                ["M1", "2023-03-01", "prestations_familiales;rsa"],
                ["M1", "2024-01-01", "salaire"],
            ],
            "emplois": [
                ["personne", "date", "employment"],
                ["P1", "2023-03-01", "sans_emploi"],
            ],
            "contrats": [
                ["ref", "menage", "logement", "chambre", "start_date", "end_date", "rent",
                 "charges", "deposit", "actual_end_date"],
                ["C1", "M1", "L1", "", "2023-03-01", "2023-09-01", "450.00", "50.00",
                 "450.00", ""],
                ["C2", "M2", "L2", "L2-A", "2023-04-01", "2023-10-01", "300.00", "30.00",
                 "0.00", "2024-06-01"],
            ],
            "avenants": [
                ["contrat", "date", "new_end_date"],
                ["C1", "2023-08-15", "2024-03-01"],
                ["C1", "2024-02-15", "2024-12-01"],
            ],
            "mouvements": [
                ["ref", "contrat", "date", "kind", "amount", "method", "period", "cancels"],
                ["E1", "C1", "2023-03-01", "appel", "500.00", "", "2023-03", ""],
                ["E2", "C1", "2023-03-10", "paiement", "200.00", "especes", "", ""],
                ["E3", "C1", "2023-03-15", "apl", "300.00", "caf", "2023-03", ""],
                ["E4", "C1", "2023-03-20", "regularisation", "-20.00", "", "", ""],
                ["E5", "C1", "2023-03-21", "annulation", "200.00", "", "", "E2"],
                ["E6", "C2", "2023-04-01", "appel", "330.00", "", "2023-04", ""],
            ],
            "plans_apurement": [
                ["ref", "menage", "start_date", "total", "monthly_amount", "status"],
                ["PL1", "M1", "2023-06-01", "300.00", "50.00", "actif"],
            ],
            "accompagnements": [
                ["ref", "menage", "start_date", "end_date", "objectives", "referent"],
                ["A1", "M1", "2023-03-10", "2023-09-10", "budget;logement", ""],
            ],
            "avenants_accompagnement": [
                ["accompagnement", "date", "new_end_date"],
                ["A1", "2023-09-01", "2024-03-10"],
            ],
            "interactions": [
                ["menage", "date", "type", "domains", "staff", "duration_minutes", "notes"],
                ["M1", "2023-03-15", "visite_domicile", "logement", STAFF_EMAIL, "60",
                 "Première visite"],
                ["M1", "2023-03-15", "visite_domicile", "budget;logement", "", "",
                 "Deuxième passage"],
                ["M2", "2023-05-02", "telephone", "", STAFF_EMAIL, "15", ""],
            ],
            "ateliers": [
                ["ref", "date", "title", "participants"],
                ["W1", "2023-05-10", "Budget du mois", "P1;P3"],
            ],
            "demandes_logement": [
                ["menage", "number", "filed_date", "renewed_date", "cities", "typologies",
                 "syplo_date", "dalo_date", "accord_collectif", "contingent_prefectoral",
                 "closed_date", "note"],
                ["M1", "071230300012345", "2023-04-15", "2024-04-10",
                 "Chalon-sur-Saône, Mâcon", "t2;t3", "2023-06-01", "", "true", "false", "",
                 "Priorité école"],
                ["M2", "071230400054321", "2023-05-01", "", "Chalon-sur-Saône", "t3", "",
                 "2023-11-20", "false", "true", "2024-05-15", ""],
            ],
            "propositions": [
                ["ref", "menage", "landlord", "parc", "address", "city", "typology", "rent",
                 "received_date", "cal_date", "cal_decision", "answer", "answer_date",
                 "refusal_reason", "move_in_date", "note"],
                ["PR1", "M1", "OPAC 71", "public", "5 rue Verte", "Mâcon", "t3", "480.50",
                 "2024-02-01", "2024-02-20", "attribuee", "refusee", "2024-02-25", "trop_loin",
                 "", "Trop loin de l’école"],
                ["PR2", "M2", "OPAC 71", "public", "12 quai Gambetta", "Chalon-sur-Saône", "t3",
                 "512.40", "2024-04-02", "2024-04-18", "attribuee", "acceptee", "2024-04-20",
                 "", "2024-06-01", ""],
                ["PR3", "M1", "Habellis", "public", "2 allée des Pins", "Chalon-sur-Saône", "t2",
                 "", "2025-06-01", "2025-06-30", "en_attente", "en_attente", "", "", "", ""],
            ],
            "mesures": [
                ["ref", "menage", "kind", "funder", "partner", "start_date", "end_date",
                 "handover_date", "handover_to", "note"],
                ["ME1", "M1", "asll", "Conseil départemental", "", "2024-01-15", "2024-07-15", "",
                 "", ""],
                ["ME2", "M2", "avdl", "DDETS", "", "2024-06-01", "", "2024-07-01",
                 "Service social de secteur", ""],
            ],
            "suivis_sortie": [
                ["menage", "months", "contact_date", "housed", "debts", "needs"],
                ["M2", "1", "2024-07-03", "true", "false", ""],
                ["M2", "3", "2024-09-05", "true", "", "Aide au dossier FSL"],
            ],
        }
    )  # fmt: skip


def set_cell(sheets: Sheets, sheet: str, row: int, column: str, value) -> None:
    """``row`` as the spreadsheet numbers it (header = 1)."""
    header = sheets[sheet][0]
    sheets[sheet][row - 1][header.index(column)] = value


def drop_column(sheets: Sheets, sheet: str, column: str) -> None:
    index = sheets[sheet][0].index(column)
    for row in sheets[sheet]:
        del row[index]


def write_xlsx(path: Path, sheets: Sheets) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        worksheet = book.create_sheet(name)
        for row in rows:
            worksheet.append(row)
            for cell in worksheet[worksheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a text, as a spreadsheet keeps what is typed "'=…"
    book.save(path)
    return path


def csv_bytes(rows: list[list], *, delimiter: str = ",", encoding: str = "utf-8",
              bom: bool = False) -> bytes:  # fmt: skip
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(
        [["" if cell is None else str(cell) for cell in row] for row in rows]
    )
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_csv_folder(folder: Path, sheets: Sheets, **options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_bytes(csv_bytes(rows, **options))
    return folder


def write_zip(path: Path, sheets: Sheets, **options) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, rows in sheets.items():
            archive.writestr(f"classeur/{name}.csv", csv_bytes(rows, **options))
    return path


def book(tmp_path: Path, sheets: Sheets | None = None, name: str = "classeur.xlsx"):
    """The parsed workbook of ``sheets`` (written as ``.xlsx``)."""
    return read_path(write_xlsx(tmp_path / name, base_sheets() if sheets is None else sheets))


def xlsx_rows(path: Path) -> dict[str, list[tuple]]:
    """Every sheet of an ``.xlsx`` as sorted rows of text (row order aside)."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    result = {}
    for worksheet in workbook.worksheets:
        rows = [
            tuple(_text(value) for value in row) for row in worksheet.iter_rows(values_only=True)
        ]
        result[worksheet.title] = [rows[0], *sorted(rows[1:])]
    workbook.close()
    return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)):.2f}"
    return str(value)


# --- Files as bombs and damage make them (tests/workbook/test_limits.py) ---------------------


def xlsx_with_rows(path: Path, rows: int, sheet: str = "mouvements") -> Path:
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    worksheet.append(MOUVEMENTS)
    for number in range(rows):
        worksheet.append([f"E{number}", "C1", "2024-01-01", "appel", "500.00"])
    book.save(path)
    return path


def patch_declared_sizes(path: Path, member: str, size: int) -> None:
    """Make the archive announce ``size`` bytes for ``member`` (local header and central
    directory), whatever it holds."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        if data[at + 46 : at + 46 + len(name)] == name:
            data[at + 24 : at + 28] = size.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def replace_member(path: Path, member: str, content: bytes) -> Path:
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = content
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def sheet_member(path: Path, title: str) -> str:
    """The zip member holding the sheet ``title`` of an ``.xlsx`` written by openpyxl."""
    titles = load_workbook(path, read_only=True).sheetnames
    return f"xl/worksheets/sheet{titles.index(title) + 1}.xml"
