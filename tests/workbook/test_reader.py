"""Reading workbooks: xlsx, folders and zips of CSV, encodings, separators, French values."""

import datetime
from decimal import Decimal

import pytest

from tests.workbook.builders import base_sheets, csv_bytes, write_csv_folder, write_xlsx, write_zip
from workbook import values
from workbook.reader import decode, detect_delimiter, read_bytes, read_path
from workbook.spec import SHEETS, SHEETS_BY_NAME

D = datetime.date


def rows_of(book, sheet):
    raw = book.sheets[sheet]
    return [dict(zip(raw.headers, cells, strict=True)) for _, cells in raw.rows]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [("utf-8", ",", False), ("utf-8", ";", True), ("cp1252", ";", False), ("cp1252", ",", False)],
)
def test_csv_encodings_and_separators_are_detected(tmp_path, encoding, delimiter, bom):
    folder = write_csv_folder(
        tmp_path / "csv", base_sheets(), encoding=encoding, delimiter=delimiter, bom=bom
    )
    book = read_path(folder)
    assert not book.errors
    assert set(book.sheets) == {sheet.name for sheet in SHEETS}
    persons = rows_of(book, "personnes")
    assert persons[2]["first_name"] == "Chloé"
    assert book.sheets["dispositifs"].headers[0] == "code"  # no BOM left in the header
    assert rows_of(book, "dispositifs")[0]["funder"] == "DDETS — BOP 177"


def test_decode_and_delimiter():
    assert decode("é;à".encode("cp1252")) == "é;à"
    assert decode(b"\xef\xbb\xbfcode") == "code"
    assert decode(b"\x81\x8d") == "\x81\x8d"  # undefined in Windows-1252: Latin-1
    assert detect_delimiter('ref;"a,b";c\n') == ";"
    assert detect_delimiter("ref,menage,date\n") == ","


def test_zip_of_csv_and_single_csv(tmp_path):
    archive = write_zip(tmp_path / "classeur.zip", base_sheets(), delimiter=";")
    book = read_path(archive)
    assert not book.errors and len(book.sheets) == len(SHEETS)
    single = read_bytes(csv_bytes(base_sheets()["menages"]), "menages.csv")
    assert list(single.sheets) == ["menages"]
    assert len(single.sheets["menages"].rows) == 4


def test_xlsx_keeps_cells_and_row_numbers(tmp_path):
    sheets = {
        "menages": [
            ["ref", "dispositif", "orientation_date", "entry_date"],
            ["M1", "IML-W", D(2023, 2, 1), datetime.datetime(2023, 3, 1)],
            [None, None, None, None],
            ["M2", "IML-W", "01/03/2023", None],
        ]
    }
    book = read_path(write_xlsx(tmp_path / "c.xlsx", sheets))
    assert not book.errors
    raw = book.sheets["menages"]
    assert [number for number, _ in raw.rows] == [2, 4]  # the blank row 3 is skipped
    assert raw.rows[0][1][3] == datetime.datetime(2023, 3, 1)


def test_header_problems(tmp_path):
    sheets = {
        "menages": [["ref", "dispositif", "colour", "ref"], ["M1", "IML-W", "x", "M1"]],
        "Feuil1": [["a"], ["b"]],
        "codes": [["liste", "code"], ["sex", "f"]],  # the template's: ignored
    }
    book = read_path(write_xlsx(tmp_path / "c.xlsx", sheets))
    messages = [str(error) for error in book.errors]
    assert "menages:1: colour: colonne inconnue" in messages[0]
    assert "menages:1: ref: colonne présente deux fois" in messages
    assert any(m.startswith("feuil1:1: feuille: feuille inconnue") for m in messages)
    assert "codes" not in book.sheets


def test_unreadable_files():
    assert "format non reconnu" in str(read_bytes(b"hello", "notes.txt").errors[0])
    assert "illisible" in str(read_bytes(b"PK\x03\x04garbage", "c.xlsx").errors[0]) or (
        "format non reconnu" in str(read_bytes(b"PK\x03\x04garbage", "c.xlsx").errors[0])
    )
    assert "fichier vide" in str(read_bytes(b"", "menages.csv").errors[0])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", D(2024, 3, 5)),
        ("05/03/2024", D(2024, 3, 5)),
        ("5/3/2024", D(2024, 3, 5)),
        (datetime.datetime(2024, 3, 5, 0, 0), D(2024, 3, 5)),
        ("2024-03-05 00:00:00", D(2024, 3, 5)),
    ],
)
def test_dates(raw, expected):
    assert values.parser(SHEETS_BY_NAME["menages"].columns_by_name["entry_date"])(raw) == expected


@pytest.mark.parametrize("raw", ["2024-02-30", "32/01/2024", "2024/03/05", "hier", "05-03-24"])
def test_bad_dates(raw):
    with pytest.raises(values.CellError):
        values.parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("512.40", Decimal("512.40")),
        ("512,40", Decimal("512.40")),
        ("1 250,5", Decimal("1250.50")),
        ("1\u202f250,50 €", Decimal("1250.50")),
        (512.4, Decimal("512.40")),
        (512.40000000000003, Decimal("512.40")),
        (12, Decimal("12.00")),
    ],
)
def test_amounts(raw, expected):
    assert values.parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["12,5,0", "1.250,00", "12.345", "abc", "-5", "NaN", "1e3"])
def test_bad_amounts(raw):
    with pytest.raises(values.CellError):
        values.parse_decimal(raw)


def test_signed_amounts_and_booleans():
    assert values.parse_decimal("-20,00", signed=True) == Decimal("-20.00")
    for raw in ("true", "TRUE", "oui", "Oui", "1", True, 1.0):
        assert values.parse_bool(raw) is True
    for raw in ("false", "non", "0", False, 0):
        assert values.parse_bool(raw) is False
    with pytest.raises(values.CellError):
        values.parse_bool("peut-être")


def test_codes_lists_countries_postcodes():
    column = SHEETS_BY_NAME["menages"].columns_by_name["exit_support"]
    assert values.parse(column, "avdl; asll;asll") == ["asll", "avdl"]
    with pytest.raises(values.CellError, match="code inconnu « agirr »"):
        values.parse(column, "asll;agirr")
    assert values.parse_country("sd") == "SD"
    with pytest.raises(values.CellError):
        values.parse_country("XX")
    assert values.parse_postcode(1000) == "01000"
    assert values.parse_postcode("71100") == "71100"
    with pytest.raises(values.CellError):
        values.parse_postcode("711")
    assert values.parse_postcode("1000") == "01000"  # a spreadsheet dropped the leading 0
    assert values.parse_month("2024-03") == D(2024, 3, 1)
    assert values.parse_month("03/2024") == D(2024, 3, 1)
    assert values.parse_month(datetime.datetime(2024, 3, 1)) == D(2024, 3, 1)
