"""SEPA direct debit: mandates, the month's run and its pain.008, the collection written into
the ledgers from the bank line, rejections (statement line, camt.054 notice, typed in), the
alert, the pages. Every expected amount is computed here by hand."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from defusedxml import ElementTree as SafeET
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from banking import sepa
from banking.codes import LineStatus
from banking.mandates import MandateData, default_reference, mandate_revoke, mandate_save
from banking.models import Allocation, Debit, DebitRun, Mandate
from banking.watch_sepa import debit_rejected_alert_candidates
from iml.codes import LedgerKind, PaymentMethod
from iml.models import Role
from tenancy import ledger
from tenancy.calls import issue_calls_to_date
from tenancy.models import LedgerEntry
from tests.banking.factories import BankAccountFactory, BankLineFactory, BankStatementFactory
from tests.conftest import login
from tests.households.factories import PersonFactory
from tests.tenancy.factories import SubleaseContractFactory

D = Decimal
FILES = Path(__file__).parent / "files"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}"
IBAN_1 = "FR7630006000011234567890189"
IBAN_2 = "FR1420041010050500013M02606"
IBAN_3 = "DE89370400440532013000"
# Fixed mandate ids make the end-to-end ids known in advance (the camt.054 sample names one).
E2E_1 = "PRLV-202603-11111111111111111111"


def balance_of(contract) -> Decimal:
    """Debits minus credits, summed here rather than by the code under test."""
    total = D("0")
    for entry in LedgerEntry.objects.filter(contract=contract):
        total += entry.debit - entry.credit
    return total


@pytest.fixture
def regisseur(members_a):
    return members_a[Role.REGISSEUR]


@pytest.fixture
def account(org_a):
    return BankAccountFactory(
        organisation=org_a, iban="FR7630001007941234567890185", bic="BNPAFRPP",
        creditor_id="FR72ZZZ123456", label="Compte loyers",
    )  # fmt: skip


def _mandate(household, *, iban, day, by, reference="", fixed_id=None, signed=None) -> Mandate:
    mandate = mandate_save(
        household=household,
        data=MandateData(
            reference=reference or f"RUM-{household.reference}", debtor_name="DIALLO AMINATA",
            iban=iban, bic="", signed_on=signed or datetime.date(2026, 1, 5), debit_day=day,
        ),
        by=by,
    )  # fmt: skip
    if fixed_id:
        Mandate.objects.filter(pk=mandate.pk).update(public_id=uuid.UUID(fixed_id))
        mandate.refresh_from_db()
    return mandate


@pytest.fixture
def world(org_a, dispositif_a, regisseur, account):
    """Three households under contract since 1 January 2026:

    - A: rent 400 + charges 50 - CAF 250 → 200.00 debited on the 5th;
    - B: rent 520 + charges 30, no CAF → 550.00 debited on the 12th;
    - C: rent 300 + charges 20 - CAF 400 → nothing to debit (never below zero).
    Rent calls (rent + charges) issued from January to March 2026.
    """
    user = regisseur.user
    start = datetime.date(2026, 1, 1)
    amounts = {"a": ("400", "50", "250"), "b": ("520", "30", "0"), "c": ("300", "20", "400")}
    contracts = {
        key: SubleaseContractFactory(
            organisation=org_a, unit__dispositif=dispositif_a, start_date=start,
            rent=D(rent), charges=D(charges), expected_housing_benefit=D(caf),
            household__reference=f"M-{key.upper()}",
        )
        for key, (rent, charges, caf) in amounts.items()
    }  # fmt: skip
    with freeze_time("2026-02-20 12:00"):
        for contract in contracts.values():
            issue_calls_to_date(contract, today=datetime.date(2026, 3, 1))
        mandates = {
            "a": _mandate(contracts["a"].household, iban=IBAN_1, day=5, by=user,
                          fixed_id="11111111-1111-1111-1111-111111111111"),
            "b": _mandate(contracts["b"].household, iban=IBAN_2, day=12, by=user,
                          fixed_id="22222222-2222-2222-2222-222222222222"),
            "c": _mandate(contracts["c"].household, iban=IBAN_3, day=20, by=user),
        }  # fmt: skip
    return {"contracts": contracts, "mandates": mandates, "user": user, "account": account}


def _march_run(world) -> DebitRun:
    with freeze_time("2026-02-20 12:00"):
        return sepa.run_create(
            account=world["account"], month=datetime.date(2026, 3, 1), by=world["user"]
        )


def _line(account, *, amount, booked_on, label, reference="", return_reason=""):
    statement = BankStatementFactory(organisation=account.organisation, account=account)
    return BankLineFactory(
        organisation=account.organisation, statement=statement, account=account,
        amount=D(amount), booked_on=booked_on, label=label, reference=reference,
        return_reason=return_reason,
        fingerprint=hashlib.sha256(f"{booked_on}{amount}{label}{reference}".encode()).hexdigest(),
    )  # fmt: skip


# --- Mandates -----------------------------------------------------------------------------------


def _data(**overrides) -> MandateData:
    values = {
        "reference": "RUM-1", "debtor_name": "Diallo Aminata", "iban": IBAN_1, "bic": "",
        "signed_on": datetime.date(2026, 1, 5), "debit_day": 5,
    }  # fmt: skip
    values.update(overrides)
    return MandateData(**values)


@pytest.fixture
def household(org_a, dispositif_a):
    return SubleaseContractFactory(organisation=org_a, unit__dispositif=dispositif_a).household


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("FR7630006000011234567890188", "IBAN invalide : la clé de contrôle ne correspond pas"),
        ("FR76300060000112345678901", "IBAN invalide : sa longueur ne correspond pas"),
        ("QQ7630006000011234567890189", "IBAN invalide : le code pays"),
        ("FR76 3000 6000 01é3 4567 8901 89", "IBAN invalide"),
        ("", "Indiquez l’IBAN"),
    ],
)
@freeze_time("2026-02-20 12:00")
def test_an_invalid_iban_is_refused_in_french(household, regisseur, iban, message):
    with pytest.raises(ValidationError) as error:
        mandate_save(household=household, data=_data(iban=iban), by=regisseur.user)
    assert message in error.value.message_dict["iban"][0]
    assert not Mandate.objects.exists()


@pytest.mark.parametrize(
    ("bic", "message"),
    [
        ("AGRIFRP", "BIC invalide : il compte 8 ou 11 caractères."),
        ("AGRIDEPP", "BIC invalide : sa banque est d’un autre pays (DE) que l’IBAN (FR)."),
        ("AGRI-FPP", "BIC invalide : 4 lettres de banque"),
        ("AGRIQQPP", "BIC invalide : le code pays est inconnu."),
    ],
)
@freeze_time("2026-02-20 12:00")
def test_an_invalid_bic_is_refused_in_french(household, regisseur, bic, message):
    with pytest.raises(ValidationError) as error:
        mandate_save(household=household, data=_data(bic=bic), by=regisseur.user)
    assert error.value.message_dict["bic"][0].startswith(message)


@freeze_time("2026-02-20 12:00")
def test_a_mandate_is_stored_compact_with_the_bic_of_its_bank(household, regisseur):
    typed = _data(iban="fr76 3000 6000 0112 3456 7890 189", reference="rum-1")
    mandate = mandate_save(household=household, data=typed, by=regisseur.user)
    assert (mandate.iban, mandate.bic, mandate.reference) == (IBAN_1, "AGRIFRPPXXX", "RUM-1")


@freeze_time("2026-02-20 12:00")
def test_signature_date_day_and_paper_are_checked(household, regisseur, org_a, dispositif_a):
    from papers.models import Paper

    other = SubleaseContractFactory(organisation=org_a, unit__dispositif=dispositif_a).household
    paper = Paper.objects.create(kind="rib", household=other, issued_on=datetime.date(2026, 1, 2))
    with pytest.raises(ValidationError) as error:
        mandate_save(
            household=household,
            data=_data(signed_on=datetime.date(2026, 2, 21), debit_day=29, paper=paper),
            by=regisseur.user,
        )
    errors = error.value.message_dict
    assert errors["signed_on"] == ["La date de signature ne peut pas être dans le futur."]
    assert errors["debit_day"] == ["Le jour du prélèvement va du 1 au 28."]
    assert errors["paper"] == ["Cette pièce n’est pas une pièce de ce ménage."]
    own = Paper.objects.create(kind="rib", household=household, issued_on=datetime.date(2026, 1, 2))
    assert mandate_save(household=household, data=_data(paper=own), by=regisseur.user).paper == own


@freeze_time("2026-02-20 12:00")
def test_reference_unique_and_one_active_mandate_per_household(
    household, regisseur, org_a, dispositif_a
):
    user = regisseur.user
    first = mandate_save(household=household, data=_data(), by=user)
    other = SubleaseContractFactory(organisation=org_a, unit__dispositif=dispositif_a).household
    with pytest.raises(ValidationError, match="Cette référence de mandat \\(RUM\\) existe déjà"):
        mandate_save(household=other, data=_data(), by=user)
    with pytest.raises(ValidationError, match="Le ménage a déjà un mandat en cours"):
        mandate_save(household=household, data=_data(reference="RUM-2"), by=user)
    mandate_revoke(mandate=first, on=datetime.date(2026, 2, 20), by=user)
    with pytest.raises(ValidationError, match="déjà révoqué"):
        mandate_revoke(mandate=first, on=datetime.date(2026, 2, 20), by=user)
    second = mandate_save(household=household, data=_data(reference="RUM-2"), by=user)
    assert Mandate.objects.filter(household=household).count() == 2
    assert second.revoked_on is None


@freeze_time("2026-02-20 12:00")
def test_default_reference_counts_the_households_mandates(household, regisseur, org_a):
    household.reference = "M_0042"
    assert default_reference(household, org_a) == "ALPHA-M-0042-1"
    mandate_save(household=household, data=_data(reference="ALPHA-M-0042-1"), by=regisseur.user)
    assert default_reference(household, org_a) == "ALPHA-M-0042-2"


# --- The month's run ----------------------------------------------------------------------------


def test_run_amounts_dates_and_the_pain008(world):
    run = _march_run(world)
    debits = {
        d.contract.household.reference: d for d in run.debits.select_related("contract__household")
    }
    # A: 400 + 50 - 250 = 200; B: 520 + 30 - 0 = 550; C: 300 + 20 - 400 < 0, nothing.
    assert {ref: (d.amount, d.collection_on) for ref, d in debits.items()} == {
        "M-A": (D("200.00"), datetime.date(2026, 3, 5)),
        "M-B": (D("550.00"), datetime.date(2026, 3, 12)),
    }
    # Nothing in the ledgers: the money is not in yet.
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists()
    xmlschema.XMLSchema(str(XSD)).validate(run.xml)
    root = SafeET.fromstring(run.xml.encode())
    header = root.find(f"{NS}CstmrDrctDbtInitn/{NS}GrpHdr")
    assert header.findtext(f"{NS}MsgId") == run.message_id
    assert header.findtext(f"{NS}NbOfTxs") == "2"
    assert header.findtext(f"{NS}CtrlSum") == "750.00"
    batches = root.findall(f".//{NS}PmtInf")
    assert sorted(
        (b.findtext(f"{NS}ReqdColltnDt"), b.findtext(f"{NS}PmtTpInf/{NS}SeqTp"),
         b.findtext(f"{NS}CtrlSum")) for b in batches
    ) == [("2026-03-05", "FRST", "200.00"), ("2026-03-12", "FRST", "550.00")]  # fmt: skip
    e2e = sorted(node.text for node in root.iter(f"{NS}EndToEndId"))
    assert e2e == sorted(d.end_to_end_id for d in debits.values())
    assert E2E_1 in e2e
    assert root.findtext(f".//{NS}CdtrSchmeId/{NS}Id/{NS}PrvtId/{NS}Othr/{NS}Id") == "FR72ZZZ123456"
    assert sepa.file_name(run) == "prelevements-2026-03-0185.xml"


def test_a_second_run_of_the_month_is_refused_and_the_next_month_is_recurrent(world):
    _march_run(world)
    with freeze_time("2026-02-21 12:00"), pytest.raises(ValidationError, match="déjà émis"):
        sepa.run_create(account=world["account"], month=datetime.date(2026, 3, 1), by=None)
    assert DebitRun.objects.count() == 1
    with freeze_time("2026-03-20 12:00"):
        april = sepa.run_create(
            account=world["account"], month=datetime.date(2026, 4, 1), by=world["user"]
        )
    sequences = {b.sequence for b in sepa.run_batches(april)}
    assert sequences == {"RCUR"}
    assert april.debits.count() == 2


def test_a_run_needs_the_creditor_id_and_something_to_debit(world, org_a):
    world["account"].creditor_id = ""
    world["account"].save()
    with freeze_time("2026-02-20 12:00"), pytest.raises(ValidationError, match="ICS"):
        sepa.run_create(account=world["account"], month=datetime.date(2026, 3, 1), by=None)
    bare = BankAccountFactory(organisation=org_a, iban=IBAN_2, creditor_id="FR72ZZZ123456")
    for mandate in world["mandates"].values():
        with freeze_time("2026-02-20 12:00"):
            mandate_revoke(mandate=mandate, on=datetime.date(2026, 2, 20), by=None)
    with freeze_time("2026-02-20 12:00"), pytest.raises(ValidationError, match="Aucun prélèvement"):
        sepa.run_create(account=bare, month=datetime.date(2026, 3, 1), by=None)
    assert not DebitRun.objects.exists()


@pytest.mark.parametrize(
    ("today", "month", "day", "expected"),
    [
        # 1 January: the 1st is today, too late for the bank (D-1): the next day.
        ("2026-01-01", "2026-01-01", 1, "2026-01-02"),
        ("2026-01-01", "2026-01-01", 5, "2026-01-05"),
        # 29 February of a leap year: the 28th has passed, debited on 1 March.
        ("2028-02-29", "2028-02-01", 28, "2028-03-01"),
        ("2028-02-29", "2028-03-01", 28, "2028-03-28"),
        # 31 December: December's days have passed; January's are to come.
        ("2026-12-31", "2026-12-01", 15, "2027-01-01"),
        ("2026-12-31", "2027-01-01", 15, "2027-01-15"),
        # A month of 30 days and one of 28.
        ("2026-03-20", "2026-04-01", 28, "2026-04-28"),
        ("2026-01-20", "2026-02-01", 28, "2026-02-28"),
    ],
)
def test_collection_dates(org_a, dispositif_a, today, month, day, expected):
    contract = SubleaseContractFactory(
        organisation=org_a, unit__dispositif=dispositif_a, start_date=datetime.date(2025, 6, 1),
        initial_end_date=datetime.date(2028, 12, 1),
    )  # fmt: skip
    with freeze_time(f"{today} 12:00"):
        _mandate(contract.household, iban=IBAN_1, day=day, by=None,
                 signed=datetime.date(2025, 6, 1))  # fmt: skip
        (planned,) = sepa.run_plan(month=datetime.date.fromisoformat(month))
    assert planned.collection_on == datetime.date.fromisoformat(expected)
    assert planned.chosen_on == datetime.date.fromisoformat(month).replace(day=day)
    assert planned.late == (expected != planned.chosen_on.isoformat())
    assert planned.amount == D("200.00")  # 400 + 50 - 250


def test_a_household_whose_contract_ended_is_not_debited(world):
    contract = world["contracts"]["b"]
    contract.actual_end_date = datetime.date(2026, 3, 10)  # leaves before its 12th
    contract.save()
    with freeze_time("2026-02-20 12:00"):
        planned = sepa.run_plan(month=datetime.date(2026, 3, 1))
    assert [p.contract for p in planned] == [world["contracts"]["a"]]


# --- Collection and rejections -----------------------------------------------------------------


def test_the_collection_line_becomes_payments_with_their_source(world):
    run = _march_run(world)
    a, b = world["contracts"]["a"], world["contracts"]["b"]
    # January to March called: 3 x (400 + 50) = 1 350; 3 x (520 + 30) = 1 650.
    assert (balance_of(a), balance_of(b)) == (D("1350.00"), D("1650.00"))
    account = world["account"]
    with freeze_time("2026-03-06 12:00"):
        line = _line(account, amount="200.00", booked_on=datetime.date(2026, 3, 5),
                     label="REMISE PRLV SEPA 1 OPERATION")  # fmt: skip
        assert sepa.claim_line(line, world["user"]) is True
    line.refresh_from_db()
    assert line.status == "rapprochee"
    payment = LedgerEntry.objects.get(contract=a, kind=LedgerKind.PAIEMENT)
    assert (payment.credit, payment.method, payment.date) == (
        D("200.00"),
        PaymentMethod.PRELEVEMENT,
        datetime.date(2026, 3, 5),
    )
    assert Allocation.objects.get(entry=payment).line == line
    assert Debit.objects.get(contract=a).entry == payment
    assert balance_of(a) == D("1150.00")  # 1 350 - 200
    assert balance_of(b) == D("1650.00")  # its debit is collected on the 12th
    # B's batch, named by its id (PmtInfId) in the line's reference, whatever its amount.
    (batch,) = [x for x in sepa.run_batches(run) if x.collection_on == datetime.date(2026, 3, 12)]
    with freeze_time("2026-03-13 12:00"):
        line_b = _line(account, amount="550.00", booked_on=datetime.date(2026, 3, 12),
                       label="VIR RECU", reference=batch.payment_id)  # fmt: skip
        assert sepa.claim_line(line_b, world["user"]) is True
        assert balance_of(b) == D("1100.00")  # 1 650 - 550
        # The same amount again later: nothing left to collect, the line is not the run's.
        again = _line(account, amount="550.00", booked_on=datetime.date(2026, 3, 13),
                      label="REMISE PRLV SEPA")  # fmt: skip
        assert sepa.claim_line(again, world["user"]) is False
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 2


def test_a_line_of_another_amount_or_a_transfer_is_not_claimed(world):
    _march_run(world)
    with freeze_time("2026-03-06 12:00"):
        other = _line(world["account"], amount="199.99", booked_on=datetime.date(2026, 3, 5),
                      label="REMISE PRLV SEPA")  # fmt: skip
        assert sepa.claim_line(other, world["user"]) is False
        # The right amount two months later and no sign of a remittance: a household's transfer.
        late = _line(world["account"], amount="200.00", booked_on=datetime.date(2026, 5, 5),
                     label="VIR SEPA DIALLO")  # fmt: skip
    with freeze_time("2026-05-06 12:00"):
        assert sepa.claim_line(late, world["user"]) is False
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists()


def test_a_returned_debit_reverses_its_payment_and_raises_the_alert(world):
    _march_run(world)
    a = world["contracts"]["a"]
    account = world["account"]
    with freeze_time("2026-03-06 12:00"):
        sepa.claim_line(
            _line(account, amount="200.00", booked_on=datetime.date(2026, 3, 5),
                  label="REMISE PRLV SEPA"), world["user"],
        )  # fmt: skip
    with freeze_time("2026-03-10 12:00"):
        returned = _line(account, amount="-200.00", booked_on=datetime.date(2026, 3, 10),
                         label="RETOUR PRLV IMPAYE", reference=E2E_1,
                         return_reason="AM04")  # fmt: skip
        assert sepa.claim_line(returned, world["user"]) is True
    debit = Debit.objects.get(contract=a)
    assert (debit.rejected_on, debit.rejection_reason) == (datetime.date(2026, 3, 10), "AM04")
    assert debit.reversal.reverses == debit.entry
    assert debit.reversal.note == "Prélèvement rejeté : provision insuffisante (AM04)"
    assert Allocation.objects.get(entry=debit.reversal).line == returned
    assert balance_of(a) == D("1350.00")  # 1 350 - 200 + 200
    (row,) = debit_rejected_alert_candidates(datetime.date(2026, 3, 10))
    assert row == {
        "subject_id": debit.pk, "household_id": a.household_id, "milestone": "2026-03-05|AM04",
        "due_date": datetime.date(2026, 3, 10), "level": "due", "assignee_id": None,
        "assignee_role": "regisseur",
    }  # fmt: skip
    assert debit_rejected_alert_candidates(datetime.date(2026, 3, 11))[0]["level"] == "overdue"
    # 60 days on, the alert is no longer proposed.
    assert debit_rejected_alert_candidates(datetime.date(2026, 5, 10)) == []
    # Once the household owes nothing, neither.
    with freeze_time("2026-03-12 12:00"):
        ledger.payment_record(contract=a, date=datetime.date(2026, 3, 12), amount="1350.00",
                              method=PaymentMethod.VIREMENT, by=world["user"])  # fmt: skip
    assert debit_rejected_alert_candidates(datetime.date(2026, 3, 12)) == []
    # The bank's line again: already matched, nothing more.
    assert sepa.claim_line(returned, world["user"]) is False
    assert LedgerEntry.objects.filter(kind=LedgerKind.ANNULATION).count() == 1


def test_a_rejection_leaves_the_collection_line_matched(world):
    """The money came in on the collection line and went out on the rejection's: the bank's
    pages, which put back the lines whose entries were reversed, leave this one matched."""
    from banking.services import line_remainder, lines_follow_reversals

    _march_run(world)
    account = world["account"]
    with freeze_time("2026-03-06 12:00"):
        collection = _line(account, amount="200.00", booked_on=datetime.date(2026, 3, 5),
                           label="REMISE PRLV SEPA")  # fmt: skip
        sepa.claim_line(collection, world["user"])
    with freeze_time("2026-03-10 12:00"):
        returned = _line(account, amount="-200.00", booked_on=datetime.date(2026, 3, 10),
                         label="RETOUR PRLV IMPAYE", reference=E2E_1,
                         return_reason="AM04")  # fmt: skip
        sepa.claim_line(returned, world["user"])
    lines_follow_reversals()
    collection.refresh_from_db()
    assert collection.status == LineStatus.MATCHED
    assert line_remainder(collection) == D("0")


def test_the_alert_job_reads_the_rule(world, org_a, monkeypatch):
    """What alerts/job.py's PROVIDED_RULES line will do (patched in here)."""
    from alerts import job
    from alerts.models import Alert, AlertKind

    monkeypatch.setitem(
        job.PROVIDED_RULES,
        AlertKind.DEBIT_REJECTED,
        "banking.watch_sepa.debit_rejected_alert_candidates",
    )
    _march_run(world)
    with freeze_time("2026-03-10 12:00"):
        sepa.rejections_apply(
            rejections=[sepa.Rejection(E2E_1, datetime.date(2026, 3, 10), "AM04")],
            by=world["user"],
        )
        job.sync_alerts(org_a, datetime.date(2026, 3, 10))
    alert = Alert.objects.get(kind=AlertKind.DEBIT_REJECTED)
    assert alert.household_id == world["contracts"]["a"].household_id
    assert alert.title == (
        "Prélèvement du 05/03/2026 rejeté (provision insuffisante) : le loyer reste dû"
    )


def test_a_rejection_before_the_collection_is_left_out_of_it(world):
    world["mandates"]["b"].debit_day = 5
    world["mandates"]["b"].save()
    _march_run(world)
    a, b = world["contracts"]["a"], world["contracts"]["b"]
    account = world["account"]
    with freeze_time("2026-03-05 12:00"):
        returned = _line(account, amount="-200.00", booked_on=datetime.date(2026, 3, 5),
                         label=f"REJET PRLV {E2E_1}", return_reason="AC04")  # fmt: skip
        assert sepa.claim_line(returned, world["user"]) is True
        # The remittance of the 5th, gross (200 + 550): only B's debit is paid.
        remittance = _line(account, amount="750.00", booked_on=datetime.date(2026, 3, 5),
                           label="REMISE PRLV SEPA")  # fmt: skip
        assert sepa.claim_line(remittance, world["user"]) is True
    assert not LedgerEntry.objects.filter(contract=a, kind=LedgerKind.PAIEMENT).exists()
    assert balance_of(a) == D("1350.00")
    assert balance_of(b) == D("1100.00")  # 1 650 - 550
    debit = Debit.objects.get(contract=a)
    assert (debit.entry, debit.reversal, debit.rejection_reason) == (None, None, "AC04")


def test_a_rejection_typed_in(world, client, regisseur):
    _march_run(world)
    a = world["contracts"]["a"]
    with freeze_time("2026-03-06 12:00"):
        sepa.claim_line(
            _line(world["account"], amount="200.00", booked_on=datetime.date(2026, 3, 5),
                  label="REMISE PRLV SEPA"), world["user"],
        )  # fmt: skip
    debit = Debit.objects.get(contract=a)
    url = reverse("banking:debit_reject", args=[debit.public_id])
    login(client, regisseur)
    with freeze_time("2026-03-09 12:00"):
        assert client.get(url).status_code == 200
        response = client.post(url, {"date": "2026-03-09", "reason": "MD06"})
        assert response.status_code == 302
        again = client.post(url, {"date": "2026-03-09", "reason": "MD06"})
    assert "déjà rejeté" in again.content.decode()
    debit.refresh_from_db()
    assert debit.reversal.note == "Prélèvement rejeté : contestation du débiteur (MD06)"
    assert balance_of(a) == D("1350.00")
    # The statement's line of that rejection, later: it is that rejection, not a second one.
    with freeze_time("2026-03-10 12:00"):
        line = _line(world["account"], amount="-200.00", booked_on=datetime.date(2026, 3, 10),
                     label="RETOUR PRLV", reference=E2E_1, return_reason="MD06")  # fmt: skip
        assert sepa.claim_line(line, world["user"]) is True
    assert Allocation.objects.get(entry=debit.reversal).line == line
    assert LedgerEntry.objects.filter(kind=LedgerKind.ANNULATION).count() == 1


def test_rejections_from_tuples_all_or_nothing(world):
    _march_run(world)
    a = world["contracts"]["a"]
    rows = [
        sepa.Rejection(E2E_1, datetime.date(2026, 3, 10), "AM04"),
        sepa.Rejection("PRLV-202603-INCONNU", datetime.date(2026, 3, 10), "AM04"),
    ]
    with freeze_time("2026-03-10 12:00"):
        with pytest.raises(ValidationError, match="PRLV-202603-INCONNU"):
            sepa.rejections_apply(rejections=rows, by=world["user"])
        assert not Debit.objects.filter(rejected_on__isnull=False).exists()
        result = sepa.rejections_apply(rejections=rows[:1], by=world["user"])
        assert (result.applied, result.already) == (1, 0)
        assert sepa.rejections_apply(rejections=rows[:1], by=world["user"]).already == 1
    assert Debit.objects.get(contract=a).rejection_reason == "AM04"


def test_a_camt054_notice_is_imported_from_the_page(world, client, regisseur):
    _march_run(world)
    login(client, regisseur)
    url = reverse("banking:notice_import")
    with freeze_time("2026-03-10 12:00"):
        assert client.get(url).status_code == 200
        with open(FILES / "sepa_camt054_rejets.xml", "rb") as handle:
            response = client.post(url, {"file": handle}, follow=True)
    assert "1 rejet(s) enregistré(s)" in response.content.decode()
    debit = Debit.objects.get(end_to_end_id=E2E_1)
    assert (debit.rejected_on, debit.rejection_reason) == (datetime.date(2026, 3, 10), "AM04")


# --- Pages --------------------------------------------------------------------------------------


BANK_URLS = ["banking:mandate_list", "banking:mandate_create", "banking:run_list",
             "banking:notice_import"]  # fmt: skip


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.ADMIN])
def test_pages_need_a_bank_role(world, client, members_a, role):
    run = _march_run(world)
    debit = run.debits.first()
    mandate = world["mandates"]["a"]
    login(client, members_a[role])
    urls = [reverse(name) for name in BANK_URLS] + [
        reverse("banking:mandate_detail", args=[mandate.public_id]),
        reverse("banking:mandate_revoke", args=[mandate.public_id]),
        reverse("banking:run_detail", args=[run.public_id]),
        reverse("banking:run_file", args=[run.public_id]),
        reverse("banking:debit_reject", args=[debit.public_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


def test_mandate_list_masks_ibans_in_constant_queries(
    world, client, head_a, org_a, dispositif_a, django_assert_max_num_queries
):
    login(client, head_a)
    url = reverse("banking:mandate_list")
    with django_assert_max_num_queries(12):
        response = client.get(url)
    body = response.content.decode()
    assert "•••• 0189" in body and IBAN_1 not in body
    for _ in range(5):
        household = SubleaseContractFactory(
            organisation=org_a, unit__dispositif=dispositif_a
        ).household
        with freeze_time("2026-02-20 12:00"):
            _mandate(household, iban=IBAN_1, day=3, by=None)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_mandate_pages(world, client, regisseur, org_a, dispositif_a):
    contract = SubleaseContractFactory(organisation=org_a, unit__dispositif=dispositif_a,
                                       household__reference="M-NEW")  # fmt: skip
    PersonFactory(organisation=org_a, household=contract.household, role="referent",
                  last_name="Traoré", first_name="Awa")  # fmt: skip
    login(client, regisseur)
    create = reverse("banking:mandate_create")
    with freeze_time("2026-02-20 12:00"):
        choose = client.get(create)
        assert "M-NEW — Traoré Awa" in choose.content.decode()
        form = client.get(f"{create}?menage={contract.household.public_id}")
        assert form.context["form"].initial["reference"] == "ALPHA-M-NEW-1"
        assert form.context["form"].initial["debtor_name"] == "TRAORÉ AWA"
        bad = client.post(f"{create}?menage={contract.household.public_id}", {
            "reference": "ALPHA-M-NEW-1", "debtor_name": "TRAORE AWA",
            "iban": "FR7630006000011234567890188",
            "signed_on": "2026-02-01", "debit_day": "8",
        })  # fmt: skip
        assert "IBAN invalide : la clé de contrôle" in bad.content.decode()
        response = client.post(f"{create}?menage={contract.household.public_id}", {
            "reference": "ALPHA-M-NEW-1", "debtor_name": "TRAORE AWA", "iban": IBAN_2,
            "signed_on": "2026-02-01", "debit_day": "8",
        })  # fmt: skip
        mandate = Mandate.objects.get(household=contract.household)
        assert response.url == reverse("banking:mandate_detail", args=[mandate.public_id])
        detail = reverse("banking:mandate_detail", args=[mandate.public_id])
        assert client.get(detail).status_code == 200
        client.post(detail, {
            "reference": "ALPHA-M-NEW-1", "debtor_name": "TRAORE AWA", "iban": IBAN_2,
            "signed_on": "2026-02-01", "debit_day": "15",
        })  # fmt: skip
        mandate.refresh_from_db()
        assert mandate.debit_day == 15
        client.post(reverse("banking:mandate_revoke", args=[mandate.public_id]),
                    {"revoked_on": "2026-02-20"})  # fmt: skip
    mandate.refresh_from_db()
    assert mandate.revoked_on == datetime.date(2026, 2, 20)
    assert client.get(f"{create}?menage=not-a-uuid").status_code == 404


def test_run_pages(world, client, regisseur, django_assert_max_num_queries):
    login(client, regisseur)
    url = reverse("banking:run_list")
    with freeze_time("2026-03-03 12:00"):
        assert client.get(url).status_code == 200
        response = client.post(url, {"account": world["account"].pk, "month": "2026-03-01"})
    run = DebitRun.objects.get()
    assert response.url == reverse("banking:run_detail", args=[run.public_id])
    with freeze_time("2026-03-03 12:00"):
        page = client.get(response.url)
    body = page.content.decode()
    # A's 5th is still to come; B's 12th too. Nothing late.
    assert "déjà passé" not in body
    assert "à encaisser" in body and "•••• 0189" in body and IBAN_1 not in body
    with django_assert_max_num_queries(12):
        listing = client.get(url)
    assert "750,00" in listing.content.decode()
    file = client.get(reverse("banking:run_file", args=[run.public_id]))
    assert file["Content-Disposition"] == 'attachment; filename="prelevements-2026-03-0185.xml"'
    assert file.content.decode() == run.xml


def test_a_late_day_is_told(world, client, regisseur):
    login(client, regisseur)
    with freeze_time("2026-03-08 12:00"):
        response = client.post(
            reverse("banking:run_list"),
            {"account": world["account"].pk, "month": "2026-03-01"},
            follow=True,
        )
    body = response.content.decode()
    assert (
        "pour 1 ménage(s), le jour choisi était déjà passé ; ils seront prélevés le 09/03/2026"
        in body
    )
    assert "déjà passé à la préparation" in body
