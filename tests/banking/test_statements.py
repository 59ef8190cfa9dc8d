"""Bank statement import: the parsers (CAMT.053 / camt.054, OFX, CSV), lines stored once per
account, the command, the pages and the worker's task."""

from __future__ import annotations

import datetime
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from freezegun import freeze_time

from banking import importing
from banking.codes import ImportStatus, LineStatus
from banking.matching import MatchCounts
from banking.models import BankAccount, BankLine, BankStatement
from banking.parsers import detect, parse
from banking.parsers.csv import guess_mapping, parse_amount
from banking.tasks import run_statement_import
from iml.models import Role
from tests.banking.factories import BankAccountFactory, BankStatementFactory
from tests.conftest import login

FILES = Path(__file__).parent / "files"
IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR1420041010050500013M02606"
CSV_MAPPING = {
    "date": "Date opération",
    "value_date": "Date valeur",
    "label": "Libellé",
    "debit": "Débit",
    "credit": "Crédit",
    "delimiter": ";",
    "date_format": "JJ/MM/AAAA",
}


def data(name: str) -> bytes:
    return (FILES / name).read_bytes()


def messages_of(error: ValidationError) -> str:
    return "\n".join(error.messages)


@pytest.fixture
def account(org_a):
    return BankAccountFactory(organisation=org_a, iban=IBAN, label="Compte courant")


@pytest.fixture
def plain_matching(monkeypatch):
    """No claim, no matching: every new line waits (the other parts have their own tests)."""
    monkeypatch.setattr("banking.rules.LINE_CLAIMS", [])
    monkeypatch.setattr(
        "banking.matching.match_lines", lambda lines, *, by: MatchCounts(0, 0, len(lines))
    )


# --- Parsers ------------------------------------------------------------------------------------


def test_camt053_month_gives_one_line_per_booked_transaction():
    statement = parse(data("camt053_novembre.xml"))
    assert statement.format == "camt053"
    assert statement.iban == IBAN
    assert (statement.period_start, statement.period_end) == (
        datetime.date(2025, 11, 1),
        datetime.date(2025, 11, 30),
    )
    amounts = [line.amount for line in statement.lines]
    # The pending entry of the 30th is not on the account; the direct-debit collection of
    # 425 € is split into its two transactions (they carry their amounts).
    assert amounts == [
        Decimal("350.00"),
        Decimal("120.50"),
        Decimal("1845.32"),
        Decimal("215.00"),
        Decimal("210.00"),
        Decimal("-210.00"),
        Decimal("280.00"),
        Decimal("-8.50"),
    ]
    diallo, martin, caf, debit_1, debit_2, returned, lefevre, fee = statement.lines
    assert diallo.label == "VIR SEPA RECU /DE DIALLO AMINATA LOYER NOVEMBRE CONTRAT SC-2025-0012"
    assert diallo.counterparty == "M. DIALLO AMINATA"
    assert diallo.reference == ""  # NOTPROVIDED is no reference
    assert diallo.bank_id == "2025110300001"
    assert diallo.booked_on == diallo.value_on == datetime.date(2025, 11, 3)
    assert martin.reference == "VIR-MARTIN-1104"
    assert "Q-2025-10-034" in martin.label
    assert caf.counterparty == "CAF DE LA SOMME"
    assert "CAF DE LA SOMME" in caf.label
    assert "REMISE PRLV SEPA" in debit_1.label
    assert (debit_1.reference, debit_2.reference) == ("IML-2025-11-0001", "IML-2025-11-0002")
    assert (debit_1.bank_id, debit_2.bank_id) == ("2025111000004/1", "2025111000004/2")
    assert returned.return_reason == "AM04"
    assert returned.reference == "IML-2025-11-0002"
    assert returned.reversal is True
    assert returned.counterparty == "LEFEVRE HELENE"
    assert lefevre.value_on == datetime.date(2025, 11, 18)
    assert lefevre.counterparty == "Mme Hélène Lefèvre"
    assert fee.label == "FRAIS TENUE DE COMPTE NOVEMBRE"
    assert fee.counterparty == ""


def test_camt053_version_08_with_a_spaced_iban_and_date_times():
    statement = parse(data("camt053_decembre_v08.xml"))
    assert statement.iban == IBAN
    assert statement.period_start == datetime.date(2025, 11, 16)
    assert [line.booked_on for line in statement.lines] == [
        datetime.date(2025, 11, 17),
        datetime.date(2025, 11, 30),
        datetime.date(2025, 12, 3),
    ]
    assert statement.lines[2].counterparty == "M. DIALLO AMINATA"  # Dbtr/Pty/Nm


def test_camt054_rejection():
    statement = parse(data("camt054_rejet.xml"))
    assert statement.format == "camt053"
    assert statement.iban == IBAN
    [line] = statement.lines
    assert line.amount == Decimal("-215.00")
    assert line.return_reason == "AC04"
    assert line.reference == "IML-2025-11-0001"
    assert line.bank_id == "RJ2025111300002"
    assert line.reversal is True


def _camt(entries: str, iban: str = IBAN) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">
<BkToCstmrStmt><Stmt><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>""".encode()


def test_camt_batch_without_amounts_is_one_line():
    statement = parse(
        _camt("""<Ntry><Amt Ccy="EUR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<BookgDt><Dt>2025-11-10</Dt></BookgDt><NtryRef>B1</NtryRef>
<NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs></TxDtls>
<TxDtls><Refs><EndToEndId>E2</EndToEndId></Refs></TxDtls></NtryDtls>
<AddtlNtryInf>REMISE CHEQUES</AddtlNtryInf></Ntry>""")
    )
    [line] = statement.lines
    assert (line.amount, line.bank_id, line.label) == (Decimal("300.00"), "B1", "REMISE CHEQUES")


def test_camt_errors_name_their_lines_in_french():
    with pytest.raises(ValidationError) as caught:
        parse(
            _camt("""<Ntry><Amt Ccy="EUR">12,00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<BookgDt><Dt>2025-11-10</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="EUR">12.00</Amt><CdtDbtInd>CREDIT</CdtDbtInd>
<BookgDt><Dt>2025-11-10</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="USD">12.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<BookgDt><Dt>2025-11-10</Dt></BookgDt></Ntry>""")
        )
    assert caught.value.messages == [
        "ligne 4 : montant (Amt) absent ou illisible.",
        "ligne 6 : sens de l’opération (CdtDbtInd) absent ou inconnu « CREDIT » (CRDT ou DBIT "
        "attendu).",
        "ligne 8 : opération en USD : seuls les relevés en euros sont acceptés.",
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&lol3;</AddtlNtryInf></Ntry></Stmt>
</BkToCstmrStmt></Document>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry></Stmt>
</BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_attacks_are_refused(attack):
    with pytest.raises(ValidationError) as caught:
        parse(attack)
    [message] = caught.value.messages
    assert message.startswith("ligne 2 : le fichier XML déclare une DTD ou des entités")
    assert "root:" not in message


def test_malformed_and_foreign_xml():
    with pytest.raises(ValidationError) as caught:
        parse(b"<?xml version='1.0'?>\n<Document><BkToCstmrStmt>\n<Stmt></Document>")
    assert caught.value.messages[0].startswith("ligne 3 : XML mal formé")
    with pytest.raises(ValidationError) as caught:
        parse(b"<?xml version='1.0'?><facture/>")
    assert "fichier XML non reconnu" in caught.value.messages[0]


def test_ofx_sgml_statement():
    statement = parse(data("releve_novembre.ofx"))
    assert statement.format == "ofx"
    # Rebuilt from the RIB: bank 30006, branch 00001, account 12345678901, key 89.
    assert statement.iban == IBAN
    assert statement.period_end == datetime.date(2025, 11, 30)
    assert [(line.bank_id, line.amount) for line in statement.lines] == [
        ("2025110300001", Decimal("350.00")),
        ("2025110500002", Decimal("1845.32")),
        ("2025111400003", Decimal("-210.00")),
        ("2025113000011", Decimal("-8.50")),
    ]
    first = statement.lines[0]
    assert first.label == "VIR SEPA RECU /DE DIALLO AMINATA LOYER NOVEMBRE CONTRAT SC-2025-0012"
    assert first.booked_on == datetime.date(2025, 11, 3)


OFX2 = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID>
<STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<STMTRS><CURDEF>EUR</CURDEF>
<BANKACCTFROM><BANKID>30006</BANKID><ACCTID>FR7630006000011234567890189</ACCTID>
<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
<BANKTRANLIST><DTSTART>20251101</DTSTART><DTEND>20251130</DTEND>
<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20251104000000[+1:CET]</DTPOSTED>
<TRNAMT>120.50</TRNAMT><FITID>X-1</FITID><NAME>VIR MARTIN JEAN-PIERRE</NAME>
<MEMO>QUITTANCE Q-2025-10-034</MEMO></STMTTRN>
<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20251105</DTPOSTED>
<TRNAMT>abc</TRNAMT><FITID>X-2</FITID><NAME>VIR</NAME></STMTTRN>
</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def test_ofx2_xml_and_its_errors():
    with pytest.raises(ValidationError) as caught:
        parse(OFX2)
    assert caught.value.messages == ["ligne 12 : montant (TRNAMT) illisible « abc »."]
    good = OFX2.replace(b"<TRNAMT>abc</TRNAMT>", b"<TRNAMT>-3.20</TRNAMT>")
    statement = parse(good)
    assert statement.iban == IBAN
    first, second = statement.lines
    # Midnight in Paris is the 4th, although the 3rd in UTC.
    assert first.booked_on == datetime.date(2025, 11, 4)
    assert first.label == "VIR MARTIN JEAN-PIERRE QUITTANCE Q-2025-10-034"
    assert second.amount == Decimal("-3.20")


def test_ofx_unreadable():
    with pytest.raises(ValidationError) as caught:
        parse(b"OFXHEADER:100\r\nnot really\r\n<OFX><BANKMSGSRSV1>", "ofx")
    assert caught.value.messages[0].startswith("ligne 1 : fichier OFX illisible")


def test_csv_cp1252_semicolons_decimal_commas_and_a_preamble():
    statement = parse(data("releve_novembre.csv"), "csv", CSV_MAPPING)
    assert statement.iban == IBAN  # from « Compte : FR76 3000 … » above the header
    assert [line.amount for line in statement.lines] == [
        Decimal("350.00"),
        Decimal("1845.32"),
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("-210.00"),
        Decimal("-8.50"),
    ]
    assert statement.lines[2].label == "VIR SEPA RECU /DE LEFÈVRE HÉLÈNE RÉGULARISATION"
    assert statement.lines[0].source_line == 6
    assert (statement.period_start, statement.period_end) == (
        datetime.date(2025, 11, 3),
        datetime.date(2025, 11, 30),
    )


def test_csv_one_amount_column_commas_iso_dates_utf8():
    text = (
        '\ufeffdate,libelle,montant,ref\n2025-11-03,"VIR DIALLO, LOYER",350.00,R1\n'
        "2025-11-30,FRAIS,-8.5,\n"
    )
    mapping = {"date": "Date", "label": "Libellé", "amount": "Montant", "reference": "Ref"}
    statement = parse(text.encode(), "csv", mapping)
    assert [
        (line.booked_on, line.amount, line.label, line.reference) for line in statement.lines
    ] == [
        (datetime.date(2025, 11, 3), Decimal("350.00"), "VIR DIALLO, LOYER", "R1"),
        (datetime.date(2025, 11, 30), Decimal("-8.50"), "FRAIS", ""),
    ]


def test_csv_errors_with_line_numbers():
    text = (
        "Date;Libellé;Montant\n31/02/2025;LOYER;12,00\n03/11/2025;LOYER;douze\n03/11/2025;;1,00\n"
    )
    mapping = {"date": "Date", "label": "Libellé", "amount": "Montant"}
    with pytest.raises(ValidationError) as caught:
        parse(text.encode(), "csv", mapping)
    assert caught.value.messages == [
        "ligne 2 : date illisible « 31/02/2025 ».",
        "ligne 3 : montant illisible « douze ».",
        "ligne 4 : libellé vide.",
    ]
    with pytest.raises(ValidationError) as caught:
        parse(text.encode(), "csv", {**mapping, "amount": "Somme"})
    assert caught.value.messages == ["ligne 1 : colonne « Somme » (montant) absente de l’en-tête."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56", "1234.56"),
        ("1\u202f234,56 €", "1234.56"),
        ("-45,00", "-45.00"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("+120.5", "120.50"),
        ("1.234", "1234.00"),
        ("45,00-", "-45.00"),
    ],
)
def test_csv_amounts(text, expected):
    assert parse_amount(text) == Decimal(expected)


def test_csv_mapping_guessed_from_the_header():
    assert guess_mapping(data("releve_novembre.csv")) == CSV_MAPPING


def test_format_detection():
    assert detect(data("camt053_novembre.xml")) == "camt053"
    assert detect(data("camt054_rejet.xml")) == "camt053"
    assert detect(data("releve_novembre.ofx")) == "ofx"
    assert detect(OFX2) == "ofx"
    assert detect(data("releve_novembre.csv")) == "csv"


# --- Import -------------------------------------------------------------------------------------


def test_import_stores_each_line_once_with_its_fingerprint(account, head_a, plain_matching):
    statement = importing.statement_import(
        account=account, file_name="novembre.xml", data=data("camt053_novembre.xml"), by=head_a.user
    )
    assert statement.status == ImportStatus.DONE
    assert (statement.lines_new, statement.lines_known, statement.lines_suspense) == (8, 0, 8)
    assert statement.period_end == datetime.date(2025, 11, 30)
    assert statement.imported_by == head_a.user
    assert statement.content is None
    returned = BankLine.objects.get(bank_id="2025111400003")
    assert returned.fingerprint == "id:2025111400003"
    assert returned.amount == Decimal("-210.00")
    assert returned.return_reason == "AM04"
    assert returned.reference == "IML-2025-11-0002"
    assert returned.note == "Contre-passation d’une opération antérieure."
    assert returned.statement == statement
    assert returned.status == LineStatus.SUSPENSE


def test_same_file_twice_creates_nothing_new(account, plain_matching):
    first = importing.statement_import(
        account=account, file_name="a.xml", data=data("camt053_novembre.xml"), by=None
    )
    second = importing.statement_import(
        account=account, file_name="a.xml", data=data("camt053_novembre.xml"), by=None
    )
    assert (first.lines_new, second.lines_new, second.lines_known) == (8, 0, 8)
    assert BankLine.objects.count() == 8


def test_overlapping_statement_brings_only_its_new_lines(account, plain_matching):
    importing.statement_import(
        account=account, file_name="nov.xml", data=data("camt053_novembre.xml"), by=None
    )
    december = importing.statement_import(
        account=account, file_name="dec.xml", data=data("camt053_decembre_v08.xml"), by=None
    )
    assert (december.lines_new, december.lines_known) == (1, 2)
    assert list(december.lines.values_list("bank_id", flat=True)) == ["2025120300004"]
    assert BankLine.objects.count() == 9


def test_hash_fingerprints_without_bank_ids(account, plain_matching):
    """Two identical transfers of the same day are two lines; the CSV again adds nothing."""
    importing.statement_import(
        account=account, file_name="nov.csv", data=data("releve_novembre.csv"), by=None,
        mapping=CSV_MAPPING,
    )  # fmt: skip
    again = importing.statement_import(
        account=account, file_name="nov.csv", data=data("releve_novembre.csv"), by=None
    )
    assert (again.lines_new, again.lines_known) == (0, 6)
    label = "VIR SEPA RECU DE LEFEVRE HELENE REGULARISATION"  # normalised by hand
    expected = {
        "h:" + hashlib.sha256(f"{IBAN}|2025-11-12|50.00|{label}|{rank}".encode()).hexdigest()
        for rank in (0, 1)
    }
    twins = set(
        BankLine.objects.filter(booked_on=datetime.date(2025, 11, 12)).values_list(
            "fingerprint", flat=True
        )
    )
    assert twins == expected
    account.refresh_from_db()
    assert account.csv_mapping == CSV_MAPPING  # saved at the first CSV import


def test_a_file_of_another_account_is_refused(org_a, plain_matching):
    other = BankAccountFactory(organisation=org_a, iban=OTHER_IBAN, label="Livret")
    with pytest.raises(ValidationError) as caught:
        importing.statement_import(
            account=other, file_name="nov.xml", data=data("camt053_novembre.xml"), by=None
        )
    assert messages_of(caught.value) == (
        f"Ce relevé est celui du compte {IBAN}, pas de « Livret » ({OTHER_IBAN}) : choisissez "
        "le bon compte."
    )
    assert not BankStatement.objects.exists()
    assert not BankLine.objects.exists()


def test_a_bad_file_writes_nothing(account, plain_matching):
    broken = data("camt053_novembre.xml").replace(b'<Amt Ccy="EUR">8.50', b'<Amt Ccy="EUR">8,50')
    with pytest.raises(ValidationError) as caught:
        importing.statement_import(account=account, file_name="x.xml", data=broken, by=None)
    assert caught.value.messages == ["ligne 146 : montant (Amt) absent ou illisible."]
    assert not BankStatement.objects.exists() and not BankLine.objects.exists()
    # A CSV refused does not save its mapping either.
    with pytest.raises(ValidationError):
        importing.statement_import(
            account=account, file_name="x.csv", data=b"Date;Libelle;Montant\nhier;A;1,00\n",
            by=None, mapping={"date": "Date", "label": "Libelle", "amount": "Montant"},
        )  # fmt: skip
    account.refresh_from_db()
    assert account.csv_mapping == {}
    with pytest.raises(ValidationError) as caught:
        importing.statement_import(
            account=account, file_name="x.csv", data=data("releve_novembre.csv"), by=None
        )
    assert "correspondance des colonnes CSV" in messages_of(caught.value)


def test_claims_first_then_matching(account, monkeypatch):
    """A claimed line (the CAF's, a debit run's) never reaches the matching; the counts are
    the states the lines end in."""
    seen = []

    def claim_caf(line, by):
        if "CAF" in line.label:
            line.status = LineStatus.PROPOSED
            line.save(update_fields=["status"])
            return True
        return False

    def match(lines, *, by):
        seen.extend(line.label for line in lines)
        return MatchCounts(matched=2, proposed=1, suspense=len(lines) - 3)

    monkeypatch.setattr("banking.rules.LINE_CLAIMS", ["tests.banking.test_statements.CLAIM"])
    monkeypatch.setattr(f"{__name__}.CLAIM", claim_caf, raising=False)
    monkeypatch.setattr("banking.matching.match_lines", match)
    statement = importing.statement_import(
        account=account, file_name="nov.xml", data=data("camt053_novembre.xml"), by=None
    )
    assert len(seen) == 7 and not any("CAF" in label for label in seen)
    assert (statement.lines_matched, statement.lines_proposed, statement.lines_suspense) == (
        2,
        2,
        4,
    )


CLAIM = None  # replaced by a test's handler


# --- Command ------------------------------------------------------------------------------------


def test_command_prints_one_line(account, plain_matching):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_bank_statement", str(FILES / "camt053_novembre.xml"),
                 organisation="alpha", stdout=out, stderr=err)  # fmt: skip
    assert out.getvalue() == "lignes : 8 nouvelles, 0 rapprochées, 0 proposées, 8 en attente\n"
    call_command("import_bank_statement", str(FILES / "camt053_novembre.xml"),
                 organisation="alpha", stdout=out, stderr=err)  # fmt: skip
    assert out.getvalue().splitlines()[-1] == (
        "lignes : 0 nouvelles, 0 rapprochées, 0 proposées, 0 en attente"
    )


def test_command_finds_the_account_by_the_files_iban(account, org_a, plain_matching):
    BankAccountFactory(organisation=org_a, iban=OTHER_IBAN, label="Livret")
    out = io.StringIO()
    call_command("import_bank_statement", str(FILES / "releve_novembre.ofx"),
                 organisation="alpha", stdout=out)  # fmt: skip
    assert out.getvalue().startswith("lignes : 4 nouvelles")
    assert BankLine.objects.filter(account=account).count() == 4
    with pytest.raises(CommandError) as caught:
        call_command("import_bank_statement", str(FILES / "releve_novembre.csv"),
                     organisation="alpha", stdout=out, stderr=io.StringIO())  # fmt: skip
    assert caught.value.returncode == 1
    call_command("import_bank_statement", str(FILES / "releve_novembre.csv"),
                 organisation="alpha", account="FR76 3000 6000 0112 3456 7890 189",
                 format="csv", mapping='{"date": "Date opération", "label": "Libellé", '
                 '"debit": "Débit", "credit": "Crédit"}', stdout=out)  # fmt: skip
    # No bank id in a CSV: its lines are not the OFX's (the same month in two formats twice).
    assert out.getvalue().splitlines()[-1].startswith("lignes : 6 nouvelles")


def test_command_bad_file_exits_1_with_french_errors(account, plain_matching, tmp_path):
    path = tmp_path / "faux.xml"
    path.write_bytes(EXTERNAL_ENTITY)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_bank_statement", str(path), organisation="alpha", stdout=out,
                     stderr=err)  # fmt: skip
    assert caught.value.returncode == 1
    assert "le fichier XML déclare une DTD ou des entités" in err.getvalue()
    assert str(caught.value) == "1 erreur(s) : rien n’a été importé."
    assert out.getvalue() == ""
    assert not BankStatement.objects.exists()


# --- Pages and the worker -----------------------------------------------------------------------


BANK_URLS = [
    ("banking:statement_list", {}),
    ("banking:account_list", {}),
    ("banking:account_create", {}),
    ("banking:statement_upload", {}),
]


def test_social_worker_and_admin_are_refused(client, members_a, account):
    statement = BankStatementFactory(organisation=account.organisation, account=account)
    urls = [reverse(name, kwargs=kwargs) for name, kwargs in BANK_URLS] + [
        reverse("banking:account_edit", kwargs={"account": account.public_id}),
        reverse("banking:statement_detail", kwargs={"statement": statement.public_id}),
        reverse("banking:statement_progress", kwargs={"statement": statement.public_id}),
    ]
    for role in (Role.SOCIAL_WORKER, Role.ADMIN):
        login(client, members_a[role])
        for url in urls:
            assert client.get(url).status_code == 403, url
            assert client.post(url).status_code == 403, url
    login(client, members_a[Role.REGISSEUR])
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_account_create_checks_and_compacts_iban_bic_and_ics(client, head_a, org_a):
    login(client, head_a)
    url = reverse("banking:account_create")
    page = client.post(url, {"label": "Compte", "iban": "FR76 3000 6000 0112 3456 7890 188",
                             "bic": "XX"})  # fmt: skip
    assert page.status_code == 200
    assert "IBAN invalide" in page.content.decode()
    assert "BIC invalide" in page.content.decode()
    response = client.post(
        url,
        {"label": "Compte des loyers", "iban": "fr76 3000 6000 0112 3456 7890 189",
         "bic": "agrifrpp", "creditor_id": "FR72 ZZZ 123456"},
    )  # fmt: skip
    assert response.status_code == 302
    account = BankAccount.objects.get()
    assert (account.iban, account.bic, account.creditor_id) == (IBAN, "AGRIFRPP", "FR72ZZZ123456")
    again = client.post(url, {"label": "Doublon", "iban": IBAN})
    assert "Ce compte (IBAN) est déjà enregistré." in again.content.decode()
    edit = reverse("banking:account_edit", kwargs={"account": account.public_id})
    assert client.post(edit, {"label": "Loyers", "iban": IBAN, "creditor_id": "FR99ZZZ123456"}
                       ).status_code == 200  # fmt: skip
    assert client.post(edit, {"label": "Loyers", "iban": IBAN}).status_code == 302
    account.refresh_from_db()
    assert (account.label, account.creditor_id) == ("Loyers", "")
    BankStatementFactory(organisation=org_a, account=account)
    refused = client.post(edit, {"label": "Loyers", "iban": OTHER_IBAN})
    assert "son IBAN ne change plus" in refused.content.decode()
    account.refresh_from_db()
    assert account.iban == IBAN


def test_statement_list_query_count_and_running_progress(
    client, head_a, account, django_assert_max_num_queries
):
    login(client, head_a)
    for index in range(12):
        BankStatementFactory(organisation=account.organisation, account=account,
                             file_name=f"r{index}.xml", lines_new=index)  # fmt: skip
    running = BankStatementFactory(organisation=account.organisation, account=account,
                                   status=ImportStatus.RUNNING, progress=0)  # fmt: skip
    cache.set(importing.progress_key(running), 42, 60)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("banking:statement_list"))
    body = page.content.decode()
    assert 'value="42"' in body and "Import en cours : 42 %" in body
    assert "r11.xml" in body
    filtered = client.get(reverse("banking:statement_list"), {"compte": str(account.public_id)})
    assert filtered.status_code == 200


def test_upload_runs_in_the_worker_and_shows_the_lines(
    client, head_a, account, plain_matching, django_capture_on_commit_callbacks
):
    login(client, head_a)
    upload = SimpleUploadedFile("novembre.xml", data("camt053_novembre.xml"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("banking:statement_upload"), {"account": account.public_id, "file": upload}
        )
    statement = BankStatement.objects.get()
    assert response.url == reverse(
        "banking:statement_detail", kwargs={"statement": statement.public_id}
    )
    assert statement.status == ImportStatus.DONE
    assert statement.content is None
    assert statement.lines_new == 8
    page = client.get(response.url)
    body = page.content.decode()
    assert "CAF DE LA SOMME" in body and "retour AM04" in body
    assert "-8,50" in body


def test_a_csv_for_an_account_without_mapping_asks_for_the_columns(
    client, head_a, account, plain_matching, django_capture_on_commit_callbacks
):
    login(client, head_a)
    upload = SimpleUploadedFile("releve.csv", data("releve_novembre.csv"))
    page = client.post(
        reverse("banking:statement_upload"), {"account": account.public_id, "file": upload}
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["debit"] == "Débit" and form.initial["date_format"] == "JJ/MM/AAAA"
    assert not BankStatement.objects.exists()
    post = dict(CSV_MAPPING)
    post["token"] = form.initial["token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("banking:statement_upload"), post)
    assert response.status_code == 302
    statement = BankStatement.objects.get()
    assert (statement.status, statement.lines_new) == (ImportStatus.DONE, 6)
    account.refresh_from_db()
    assert account.csv_mapping == CSV_MAPPING
    # The waiting file is used once.
    assert client.post(reverse("banking:statement_upload"), post).status_code == 302
    assert BankStatement.objects.count() == 1


def test_a_refused_upload_fails_with_its_errors(
    client, head_a, org_a, plain_matching, django_capture_on_commit_callbacks
):
    other = BankAccountFactory(organisation=org_a, iban=OTHER_IBAN, label="Livret")
    login(client, head_a)
    upload = SimpleUploadedFile("novembre.ofx", data("releve_novembre.ofx"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("banking:statement_upload"), {"account": other.public_id, "file": upload}
        )
    statement = BankStatement.objects.get()
    assert statement.status == ImportStatus.FAILED
    assert statement.content is None
    assert statement.errors == [
        f"Ce relevé est celui du compte {IBAN}, pas de « Livret » ({OTHER_IBAN}) : choisissez "
        "le bon compte."
    ]
    assert not BankLine.objects.exists()
    assert "choisissez le bon compte" in client.get(response.url).content.decode()


def test_task_called_directly_and_stale_imports(account, plain_matching):
    statement = BankStatementFactory(
        organisation=account.organisation, account=account, status=ImportStatus.RUNNING,
        progress=0, content=data("releve_novembre.ofx"), format="ofx",
    )  # fmt: skip
    assert run_statement_import(statement.pk, account.organisation_id) == ImportStatus.DONE
    statement.refresh_from_db()
    assert (statement.lines_new, statement.content) == (4, None)
    with freeze_time("2025-11-01 10:00"):
        stale = BankStatementFactory(organisation=account.organisation, account=account,
                                     status=ImportStatus.RUNNING, content=b"x")  # fmt: skip
    with freeze_time("2025-11-01 10:20"):
        assert importing.fail_stale_statements() == 0
    with freeze_time("2025-11-01 10:31"):
        assert importing.fail_stale_statements() == 1
    stale.refresh_from_db()
    assert stale.status == ImportStatus.FAILED and stale.content is None
    assert "ne s’est pas terminé en 30 minutes" in stale.errors[0]


def test_import_with_the_real_claims_and_matching(account, head_a):
    """The whole chain as it runs: every new line ends counted at most once."""
    statement = importing.statement_import(
        account=account, file_name="nov.xml", data=data("camt053_novembre.xml"), by=head_a.user
    )
    assert (statement.lines_new, statement.status) == (8, ImportStatus.DONE)
    counted = statement.lines_matched + statement.lines_proposed + statement.lines_suspense
    assert counted <= 8
