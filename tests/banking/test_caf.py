"""The CAF's bulk payment: its bank line waits for the CAF's detail, the detail (a CSV file
written for these tests, tests/banking/files/caf_detail_*.csv) is read, matched to the
households and checked against the expected benefit, confirmed into `apl` entries whose source
is the bank line; the alert when a household's benefit stops; the screens."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from banking import caf
from banking.caf_detail import parse_detail
from banking.codes import CafRowStatus, LineStatus
from banking.models import Allocation, CafNotice, CafNoticeRow
from banking.watch import caf_stopped_alert_candidates
from iml.codes import LedgerKind, PaymentMethod
from iml.models import Role
from tenancy import ledger
from tenancy.models import LedgerEntry
from tenancy.money import contract_balance
from tests.banking.factories import BankAccountFactory, BankLineFactory
from tests.conftest import login
from tests.households.factories import PersonFactory
from tests.tenancy.factories import LedgerEntryFactory, SubleaseContractFactory

FILES = Path(__file__).parent / "files"
NOVEMBER = datetime.date(2025, 11, 1)


def _file(name: str) -> bytes:
    return (FILES / name).read_bytes()


def _contract(org, dispositif, *, last, first, caf_number="", benefit="250.00", **kwargs):
    contract = SubleaseContractFactory(
        organisation=org,
        unit__dispositif=dispositif,
        household__caf_number=caf_number,
        expected_housing_benefit=Decimal(benefit),
        start_date=kwargs.pop("start_date", datetime.date(2025, 1, 1)),
        **kwargs,
    )
    PersonFactory(organisation=org, household=contract.household, last_name=last, first_name=first)
    return contract


@pytest.fixture
def regisseur(members_a):
    return members_a[Role.REGISSEUR]


@pytest.fixture
def world(org_a, dispositif_a):
    """November 2025: Aminata Diallo (allocataire 1111111 stored), Bérénice Lefèvre (no
    number stored: found by name), Chloé Bernard (expects 300 €, absent from the detail),
    Paul Martin (no benefit expected, and the detail's 3333333 is not stored)."""
    diallo = _contract(org_a, dispositif_a, last="Diallo", first="Aminata", caf_number="1111111")
    lefevre = _contract(org_a, dispositif_a, last="Lefèvre", first="Bérénice")
    bernard = _contract(org_a, dispositif_a, last="Bernard", first="Chloé", benefit="300.00")
    martin = _contract(org_a, dispositif_a, last="Martin", first="Paul", benefit="0.00")
    account = BankAccountFactory(organisation=org_a)
    line = BankLineFactory(
        statement__account=account,
        booked_on=datetime.date(2025, 12, 5),
        amount=Decimal("660.50"),
        label="VIR SEPA CAF DE SAONE ET LOIRE PRESTATIONS 11/2025",
        status=LineStatus.PROPOSED,
        note=caf.CAF_NOTE,
    )
    return {"diallo": diallo, "lefevre": lefevre, "bernard": bernard, "martin": martin,
            "line": line, "account": account}  # fmt: skip


def _import(world, user, name="caf_detail_2025_11.csv"):
    return caf.notice_import(line=world["line"], file_name=name, data=_file(name), by=user)


# --- The bank line ----------------------------------------------------------------------------


def test_the_caf_line_is_claimed_and_waits_for_its_detail(org_a):
    account = BankAccountFactory(organisation=org_a)
    line = BankLineFactory(
        statement__account=account,
        amount=Decimal("900.00"),
        label="VIR C.A.F. 71 PRESTATIONS",
        status=LineStatus.SUSPENSE,
    )
    assert caf.claim_line(line, None) is True
    line.refresh_from_db()
    assert line.status == LineStatus.PROPOSED
    assert line.note == "Versement CAF : à répartir avec le détail de la CAF"
    transfer = BankLineFactory(statement__account=account, label="VIR DIALLO LOYER")
    refund = BankLineFactory(statement__account=account, amount=Decimal("-30.00"),
                             label="PRLV CAF REMBOURSEMENT INDU")  # fmt: skip
    assert caf.claim_line(transfer, None) is False
    assert caf.claim_line(refund, None) is False
    assert list(caf.awaiting_lines()) == [line]


# --- The CSV detail -------------------------------------------------------------------------


def test_parse_a_windows_export_with_semicolons_and_decimal_commas():
    rows = parse_detail(_file("caf_detail_2025_11.csv"))
    assert [(r.line, r.allocataire, r.name, r.period, r.amount) for r in rows] == [
        (2, "1111111", "DIALLO AMINATA", NOVEMBER, Decimal("250.00")),
        (3, "2222222", "MME LEFEVRE BERENICE", NOVEMBER, Decimal("230.50")),
        (4, "3333333", "MARTIN PAUL", NOVEMBER, Decimal("180.00")),
    ]


def test_parse_utf8_commas_and_other_header_names():
    rows = parse_detail(_file("caf_detail_utf8_comma.csv"))
    assert [(r.allocataire, r.name, r.period, r.amount) for r in rows] == [
        ("1111111", "Diallo Aminata", datetime.date(2025, 12, 1), Decimal("250.00")),
        ("0444444", "Kouassi Jean", NOVEMBER, Decimal("1012.40")),
    ]


def test_parse_errors_are_french_with_their_line_numbers():
    data = (
        "N° allocataire;Nom;Période;Montant\n"
        "1234567;DUPONT JEAN;13/2025;12,50\n"
        ";DURAND MARIE;11/2025;abc\n"
        "1234567;DUPONT JEAN;13/2025;-4\n"
        "7654321;;2025-11;10\n"
        "7777777;PETIT LEA;11/2025;10\n"
        "7777777;PETIT LEA;11/2025;10\n"
    ).encode()
    with pytest.raises(ValidationError) as error:
        parse_detail(data)
    messages = error.value.messages
    assert any(m.startswith("Ligne 2 : période illisible « 13/2025 »") for m in messages)
    assert "Ligne 3 : le n° d’allocataire manque." in messages
    assert any(m.startswith("Ligne 3 : Montant invalide") for m in messages)
    assert any(m.startswith("Ligne 4 : Le montant doit être positif") for m in messages)
    assert "Ligne 5 : le nom manque." in messages
    assert "Ligne 7 : l’allocataire 7777777 figure déjà pour 11/2025 (ligne 6)." in messages


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Le fichier est vide."),
        (
            b"Nom;Montant\nDUPONT;10\n",
            "colonnes manquantes : « N° allocataire », « Période »",
        ),
        ("N° allocataire;Nom;Période;Montant\n".encode(), "aucune ligne de bénéficiaire"),
        (b"\x81\x8d\x8f", "Fichier illisible"),
    ],
)
def test_parse_refuses_a_file_that_is_not_a_detail(data, message):
    with pytest.raises(ValidationError) as error:
        parse_detail(data)
    assert any(message in m for m in error.value.messages)


# --- Import: matching and checks ------------------------------------------------------------


@freeze_time("2025-12-10 09:00")
def test_import_matches_by_number_and_by_name_and_lists_the_missing(world, regisseur):
    notice = _import(world, regisseur.user)
    assert notice.month == NOVEMBER
    assert notice.line == world["line"]
    rows = {row.allocataire: row for row in caf.notice_rows(notice)}
    diallo, lefevre, martin = rows["1111111"], rows["2222222"], rows["3333333"]
    # By the stored number: received as expected.
    assert (diallo.contract, diallo.expected, diallo.status) == (
        world["diallo"], Decimal("250.00"), CafRowStatus.OK)  # fmt: skip
    # By name (accents, civility, order of the words): 230.50 received for 250.00 expected.
    assert (lefevre.contract, lefevre.expected, lefevre.status) == (
        world["lefevre"], Decimal("250.00"), CafRowStatus.DIFFERENT)  # fmt: skip
    assert lefevre.difference == Decimal("-19.50")
    assert lefevre.number_to_store and not diallo.number_to_store
    # Paul Martin's name is known, but his contract expects nothing: found, 180.00 apart.
    assert (martin.contract, martin.expected, martin.status) == (
        world["martin"], Decimal("0.00"), CafRowStatus.DIFFERENT)  # fmt: skip
    # Chloé Bernard expects 300.00 and is not named; Paul Martin expects nothing.
    missing = caf.notice_missing(notice)
    assert [(m.contract, m.expected) for m in missing] == [(world["bernard"], Decimal("300.00"))]
    totals = caf.notice_totals(list(rows.values()), notice)
    assert (totals.detail, totals.line, totals.expected) == (
        Decimal("660.50"), Decimal("660.50"), Decimal("500.00"))  # fmt: skip
    assert (totals.ok, totals.different, totals.unknown) == (1, 2, 0)
    assert LedgerEntry.objects.count() == 0


@freeze_time("2025-12-10 09:00")
def test_an_allocataire_nobody_knows_is_unknown(world, regisseur):
    world["martin"].household.persons.update(last_name="Martinez", first_name="Rosa")
    notice = _import(world, regisseur.user)
    row = notice.rows.get(allocataire="3333333")
    assert (row.household, row.contract, row.expected, row.status) == (
        None, None, None, CafRowStatus.UNKNOWN)  # fmt: skip


@freeze_time("2025-12-10 09:00")
def test_a_name_is_not_taken_from_a_household_with_another_number(world, regisseur):
    world["lefevre"].household.caf_number = "9999999"
    world["lefevre"].household.save()
    row = _import(world, regisseur.user).rows.get(allocataire="2222222")
    assert row.status == CafRowStatus.UNKNOWN


@freeze_time("2025-12-10 09:00")
def test_a_detail_that_does_not_add_up_to_the_payment_is_refused(world, regisseur):
    line = world["line"]
    type(line).objects.filter(pk=line.pk).update(amount=Decimal("600.00"))
    line.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        _import(world, regisseur.user)
    assert (
        "Le total du détail (660,50 €) ne correspond pas au versement de la CAF sur le relevé "
        "(600,00 €) : écart de 60,50 €." in error.value.messages[0].replace("\xa0", " ")
    )
    assert CafNotice.objects.count() == 0 and CafNoticeRow.objects.count() == 0


@freeze_time("2025-12-10 09:00")
def test_a_bad_file_writes_nothing_and_a_second_import_replaces_the_first(world, regisseur):
    with pytest.raises(ValidationError):
        caf.notice_import(line=world["line"], file_name="x.csv", data=b"n'importe quoi", by=None)
    assert CafNotice.objects.count() == 0
    first = _import(world, regisseur.user)
    second = _import(world, regisseur.user)
    assert list(CafNotice.objects.all()) == [second]
    assert not CafNotice.objects.filter(pk=first.pk).exists()
    assert CafNoticeRow.objects.count() == 3


# --- Confirmation ---------------------------------------------------------------------------


def _november_calls(world):
    for name in ("diallo", "lefevre", "martin"):
        LedgerEntryFactory(organisation=world[name].organisation, contract=world[name],
                           kind=LedgerKind.APPEL, debit=Decimal("450.00"),
                           rent_part=Decimal("400.00"), charges_part=Decimal("50.00"),
                           credit=0, method="", number="", period=NOVEMBER,
                           date=NOVEMBER)  # fmt: skip


@freeze_time("2025-12-10 09:00")
def test_confirm_writes_one_apl_entry_per_row_with_the_line_as_source(world, regisseur):
    _november_calls(world)
    notice = _import(world, regisseur.user)
    entries = caf.notice_confirm(notice, regisseur.user)
    assert len(entries) == 3
    written = LedgerEntry.objects.filter(kind=LedgerKind.APL).order_by("credit")
    paid_on = datetime.date(2025, 12, 5)
    assert [(e.contract, e.credit, e.period, e.date, e.method) for e in written] == [
        (world["martin"], Decimal("180.00"), NOVEMBER, paid_on, PaymentMethod.CAF),
        (world["lefevre"], Decimal("230.50"), NOVEMBER, paid_on, PaymentMethod.CAF),
        (world["diallo"], Decimal("250.00"), NOVEMBER, paid_on, PaymentMethod.CAF),
    ]
    # 450.00 called, then what the CAF paid.
    assert contract_balance(world["diallo"]) == Decimal("200.00")
    assert contract_balance(world["lefevre"]) == Decimal("219.50")
    assert contract_balance(world["martin"]) == Decimal("270.00")
    assert contract_balance(world["bernard"]) == Decimal("0.00")
    allocations = Allocation.objects.filter(line=world["line"])
    assert {a.entry for a in allocations} == set(written)
    assert {row.entry for row in notice.rows.all()} == set(written)
    world["line"].refresh_from_db()
    notice.refresh_from_db()
    assert world["line"].status == LineStatus.MATCHED
    assert world["line"].note == "Versement CAF de 11/2025 réparti : 3 ménages"
    assert notice.confirmed_at == timezone.now()


@freeze_time("2025-12-10 09:00")
def test_confirm_twice_writes_once(world, regisseur):
    notice = _import(world, regisseur.user)
    assert len(caf.notice_confirm(notice, regisseur.user)) == 3
    assert caf.notice_confirm(notice, regisseur.user) == []
    assert LedgerEntry.objects.filter(kind=LedgerKind.APL).count() == 3
    assert Allocation.objects.count() == 3


@freeze_time("2025-12-10 09:00")
def test_a_month_already_recorded_refuses_the_whole_notice(world, regisseur):
    ledger.caf_confirm(month=NOVEMBER, received={world["lefevre"]: Decimal("230.50")},
                       date=datetime.date(2025, 12, 4), by=regisseur.user)  # fmt: skip
    notice = _import(world, regisseur.user)
    with pytest.raises(ValidationError) as error:
        caf.notice_confirm(notice, regisseur.user)
    assert error.value.messages == [
        f"Versement CAF de ce mois déjà enregistré pour : {world['lefevre'].reference}."
    ]
    assert LedgerEntry.objects.filter(kind=LedgerKind.APL).count() == 1
    assert Allocation.objects.count() == 0
    notice.refresh_from_db()
    world["line"].refresh_from_db()
    assert notice.confirmed_at is None and world["line"].status == LineStatus.PROPOSED


@freeze_time("2025-12-10 09:00")
def test_an_unknown_row_must_be_given_to_a_household_before_confirming(world, regisseur):
    world["martin"].household.persons.update(last_name="Martinez", first_name="Rosa")
    notice = _import(world, regisseur.user)
    with pytest.raises(ValidationError, match="MARTIN PAUL \\(3333333, 11/2025\\)"):
        caf.notice_confirm(notice, regisseur.user)
    assert LedgerEntry.objects.count() == 0
    row = notice.rows.get(allocataire="3333333")
    assert list(caf.row_candidates(row)) == sorted(
        (world[n].household for n in ("diallo", "lefevre", "bernard", "martin")),
        key=lambda h: (h.reference, h.pk),
    )
    assert caf.allocataire_record(row=row, household=world["martin"].household, by=None) == 1
    world["martin"].household.refresh_from_db()
    assert world["martin"].household.caf_number == "3333333"
    row.refresh_from_db()
    assert (row.contract, row.status) == (world["martin"], CafRowStatus.DIFFERENT)
    assert len(caf.notice_confirm(notice, regisseur.user)) == 3


@freeze_time("2025-12-10 09:00")
def test_a_number_already_another_households_is_refused(world, regisseur):
    notice = _import(world, regisseur.user)
    row = notice.rows.get(allocataire="1111111")
    with pytest.raises(ValidationError, match="déjà celui du ménage"):
        caf.allocataire_record(row=row, household=world["bernard"].household, by=None)


# --- The alert « aide au logement interrompue » ------------------------------------------


def _notice(org, month, households, confirmed_at, amount="250.00"):
    notice = CafNotice.objects.create(organisation=org, month=month, file_name="caf.csv",
                                      confirmed_at=confirmed_at)  # fmt: skip
    for index, household in enumerate(households):
        CafNoticeRow.objects.create(
            organisation=org, notice=notice, allocataire=f"{index:07d}", name="X",
            period=month, amount=Decimal(amount), household=household,
            status=CafRowStatus.OK,
        )  # fmt: skip
    return notice


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.mark.parametrize(
    ("month", "confirmed_on", "milestone"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 5), "2026-01"),
        (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29), "2024-02"),
        (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), "2025-12"),
    ],
)
def test_a_household_absent_from_the_latest_detail_raises_the_alert(
    org_a, dispositif_a, month, confirmed_on, milestone
):
    start = datetime.date(2023, 6, 1)
    paid = _contract(org_a, dispositif_a, last="Diallo", first="Aminata", start_date=start)
    stopped = _contract(org_a, dispositif_a, last="Bernard", first="Chloé", start_date=start)
    _contract(org_a, dispositif_a, last="Martin", first="Paul", benefit="0.00", start_date=start)
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    _notice(org_a, previous, [paid.household, stopped.household], _at(previous))
    _notice(org_a, month, [paid.household], _at(confirmed_on))
    # An unconfirmed detail of a later month changes nothing.
    _notice(org_a, (month + datetime.timedelta(days=31)).replace(day=1), [], None)
    expected = {
        "subject_id": stopped.pk,
        "household_id": stopped.household_id,
        "milestone": milestone,
        "due_date": confirmed_on,
        "assignee_id": None,
        "assignee_role": "regisseur",
    }
    with freeze_time(confirmed_on):
        assert caf_stopped_alert_candidates(confirmed_on) == [{**expected, "level": "due"}]
    later = confirmed_on + datetime.timedelta(days=1)
    with freeze_time(later):
        assert caf_stopped_alert_candidates(later) == [{**expected, "level": "overdue"}]


def test_the_alert_is_resolved_by_a_later_detail_or_the_end_of_the_contract(org_a, dispositif_a):
    contract = _contract(org_a, dispositif_a, last="Bernard", first="Chloé")
    _notice(org_a, datetime.date(2025, 10, 1), [], _at(datetime.date(2025, 11, 5)))
    today = datetime.date(2025, 11, 20)
    with freeze_time(today):
        assert [r["milestone"] for r in caf_stopped_alert_candidates(today)] == ["2025-10"]
        # Simply absent again the next month: the alert moves to that month.
        november = _notice(org_a, NOVEMBER, [], _at(today))
        assert [r["milestone"] for r in caf_stopped_alert_candidates(today)] == ["2025-11"]
        november.delete()
        # Named again by a later detail: nothing to say.
        _notice(org_a, NOVEMBER, [contract.household], _at(today))
        assert caf_stopped_alert_candidates(today) == []
    # Absent from December's, but the contract ended: nothing either.
    _notice(org_a, datetime.date(2025, 12, 1), [], _at(datetime.date(2026, 1, 5)))
    type(contract).objects.filter(pk=contract.pk).update(
        actual_end_date=datetime.date(2025, 12, 20)
    )
    day = datetime.date(2026, 1, 6)
    with freeze_time(day):
        assert caf_stopped_alert_candidates(day) == []


def test_a_contract_begun_during_the_month_is_not_alerted(org_a, dispositif_a):
    _contract(org_a, dispositif_a, last="Bernard", first="Chloé",
              start_date=datetime.date(2025, 11, 1))  # fmt: skip
    before = _contract(org_a, dispositif_a, last="Diallo", first="Aminata",
                       start_date=datetime.date(2025, 10, 31))  # fmt: skip
    _notice(org_a, NOVEMBER, [], _at(datetime.date(2025, 12, 5)))
    rows = caf_stopped_alert_candidates(datetime.date(2025, 12, 5))
    assert [row["subject_id"] for row in rows] == [before.pk]


def test_no_confirmed_detail_no_alert(org_a, dispositif_a):
    _contract(org_a, dispositif_a, last="Bernard", first="Chloé")
    _notice(org_a, NOVEMBER, [], None)
    assert caf_stopped_alert_candidates(datetime.date(2025, 12, 10)) == []


# --- Screens --------------------------------------------------------------------------------


KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


@freeze_time("2025-12-10 09:00")
def test_the_regisseurs_journey(client, world, regisseur, django_assert_max_num_queries):
    login(client, regisseur)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("banking:caf_list"))
    assert "Importer le détail de la CAF" in page.content.decode()
    url = reverse("banking:caf_import", kwargs={"caf_line": world["line"].public_id})
    key = KEY.search(client.get(url).content.decode()).group(1)
    upload = SimpleUploadedFile("caf_detail_2025_11.csv", _file("caf_detail_2025_11.csv"))
    response = client.post(url, {"file": upload, "submission_key": key})
    notice = CafNotice.objects.get()
    notice_url = reverse("banking:caf_notice", kwargs={"notice": notice.public_id})
    assert response.status_code == 302 and response["Location"] == notice_url
    with django_assert_max_num_queries(14):
        page = client.get(notice_url).content.decode()
    assert "MME LEFEVRE BERENICE" in page and "Confirmer la répartition" in page
    assert world["bernard"].reference in page  # missing from the detail
    # Store the number found by name on Bérénice Lefèvre's household.
    row = notice.rows.get(allocataire="2222222")
    form_url = reverse("banking:caf_allocataire",
                       kwargs={"notice": notice.public_id, "row": row.public_id})  # fmt: skip
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"household": world["lefevre"].household.public_id})
    assert response.status_code == 302
    world["lefevre"].household.refresh_from_db()
    assert world["lefevre"].household.caf_number == "2222222"
    confirm_url = reverse("banking:caf_confirm", kwargs={"notice": notice.public_id})
    assert client.get(confirm_url).status_code == 405
    response = client.post(confirm_url, follow=True)
    assert "Versement CAF réparti : 3 écriture(s)" in response.content.decode()
    response = client.post(confirm_url, follow=True)
    assert "déjà confirmé" in response.content.decode()
    assert LedgerEntry.objects.filter(kind=LedgerKind.APL).count() == 3
    assert "Répartition confirmée" in client.get(notice_url).content.decode()


@freeze_time("2025-12-10 09:00")
def test_a_refused_file_shows_its_errors_and_writes_nothing(client, world, regisseur):
    login(client, regisseur)
    url = reverse("banking:caf_import", kwargs={"caf_line": world["line"].public_id})
    upload = SimpleUploadedFile("detail.csv", "N° allocataire;Nom;Période;Montant\n"
                                "1;A;99/2025;1\n".encode())  # fmt: skip
    page = client.post(url, {"file": upload}).content.decode()
    assert "Ligne 2 : période illisible" in page
    assert CafNotice.objects.count() == 0


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.ADMIN])
def test_other_roles_are_refused(client, world, members_a, role):
    notice = CafNotice.objects.create(
        organisation=world["line"].organisation,
        line=world["line"],
        month=NOVEMBER,
        file_name="x.csv",
    )
    row = CafNoticeRow.objects.create(
        organisation=notice.organisation,
        notice=notice,
        allocataire="1",
        name="X",
        period=NOVEMBER,
        amount=Decimal("1.00"),
        status=CafRowStatus.UNKNOWN,
    )
    login(client, members_a[role])
    urls = [
        reverse("banking:caf_list"),
        reverse("banking:caf_import", kwargs={"caf_line": world["line"].public_id}),
        reverse("banking:caf_notice", kwargs={"notice": notice.public_id}),
        reverse(
            "banking:caf_allocataire", kwargs={"notice": notice.public_id, "row": row.public_id}
        ),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    confirm = reverse("banking:caf_confirm", kwargs={"notice": notice.public_id})
    assert client.post(confirm).status_code == 403


def test_another_organisations_objects_are_not_found(client, org_a, org_b, members_b):
    from tests.test_isolation_sweep import sample_kwargs

    samples = sample_kwargs(org_a)
    login(client, members_b[Role.REGISSEUR])
    for name, kwargs in [
        ("banking:caf_import", ["caf_line"]),
        ("banking:caf_notice", ["notice"]),
        ("banking:caf_allocataire", ["notice", "row"]),
    ]:
        url = reverse(name, kwargs={k: samples[k] for k in kwargs})
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


def test_the_daily_job_raises_the_alert_and_resolves_it(org_a, dispositif_a, monkeypatch):
    from alerts import job
    from alerts.models import Alert, AlertKind, AlertStatus
    from iml.rls import organisation_transaction

    monkeypatch.setitem(
        job.PROVIDED_RULES, AlertKind.CAF_STOPPED, "banking.watch.caf_stopped_alert_candidates"
    )
    contract = _contract(org_a, dispositif_a, last="Bernard", first="Chloé")
    _notice(org_a, NOVEMBER, [], _at(datetime.date(2025, 12, 5)))
    with freeze_time("2025-12-06 06:00"), organisation_transaction(org_a):
        job.sync_alerts(org_a, datetime.date(2025, 12, 6))
    alert = Alert.objects.get(kind=AlertKind.CAF_STOPPED)
    assert (alert.household_id, alert.milestone, alert.level, alert.assignee_role) == (
        contract.household_id, "2025-11", "overdue", "regisseur")  # fmt: skip
    assert alert.title == (
        "Aide au logement absente du versement CAF de 11/2025 : droit suspendu ? "
        "(premier pas d’une dette)"
    )
    _notice(org_a, datetime.date(2025, 12, 1), [contract.household], _at(datetime.date(2026, 1, 5)))
    with freeze_time("2026-01-06 06:00"), organisation_transaction(org_a):
        job.sync_alerts(org_a, datetime.date(2026, 1, 6))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
