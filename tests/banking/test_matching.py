"""The matching of bank credit lines with households (banking.matching): each rule, the
constant number of queries, and the 2 000-line benchmark."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from banking.codes import LineStatus
from banking.matching import DEBIT_NOTE, MatchCounts, match_lines
from banking.models import Allocation, MatchProposal
from iml.codes import LedgerKind, PaymentMethod, PersonRole
from iml.models import Role
from tenancy import ledger
from tenancy.calls import issue_calls_to_date
from tenancy.models import LedgerEntry
from tests.banking.factories import BankLineFactory, BankStatementFactory
from tests.households.factories import PersonFactory
from tests.tenancy.factories import SubleaseContractFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 11, 20)


@pytest.fixture
def frozen():
    with freeze_time("2025-11-20 10:00:00"):
        yield


@pytest.fixture
def regisseur(members_a):
    return members_a[Role.REGISSEUR].user


@pytest.fixture
def statement(org_a):
    return BankStatementFactory(organisation=org_a, account__organisation=org_a)


def household(org, dispositif, first: str, last: str, *, reference: str, rent="400.00",
              benefit="250.00", start=datetime.date(2025, 9, 1), calls=True):  # fmt: skip
    """A running contract (rent 400 + charges 50, CAF 250 unless said), its reference person
    and rent calls from September to November 2025 (3 x 450 = 1 350 owed)."""
    contract = SubleaseContractFactory(
        organisation=org, unit__dispositif=dispositif, reference=reference, start_date=start,
        rent=Decimal(rent), charges=Decimal("50.00"), expected_housing_benefit=Decimal(benefit),
    )  # fmt: skip
    PersonFactory(organisation=org, household=contract.household, first_name=first,
                  last_name=last, role=PersonRole.REFERENT)  # fmt: skip
    if calls:
        issue_calls_to_date(contract, today=TODAY)
    return contract


def line(statement, label: str, amount: str = "200.00", **fields):
    return BankLineFactory(statement=statement, label=label, amount=Decimal(amount), **fields)


def proposals(bank_line) -> list[MatchProposal]:
    return list(MatchProposal.objects.filter(line=bank_line).order_by("rank"))


def test_contract_reference_is_certain_and_written(org_a, dispositif_a, statement, regisseur,
                                                   frozen):  # fmt: skip
    contract = household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-2025-017")
    bank_line = line(statement, "VIR SEPA LOYER NOV C-2025-017", "200.00",
                     booked_on=datetime.date(2025, 11, 5))  # fmt: skip

    counts = match_lines([bank_line], by=regisseur)

    assert counts == MatchCounts(matched=1, proposed=0, suspense=0)
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.MATCHED
    (proposal,) = proposals(bank_line)
    assert proposal.certain and proposal.score == 100 and proposal.contract == contract
    entry = LedgerEntry.objects.get(contract=contract, kind=LedgerKind.PAIEMENT)
    assert entry.credit == Decimal("200.00")
    assert entry.method == PaymentMethod.VIREMENT
    assert entry.date == datetime.date(2025, 11, 5)
    assert entry.number.startswith("2025-")
    assert Allocation.objects.get(entry=entry).line == bank_line
    # 3 calls of 450 (September to November) less the transfer of 200.
    assert ledger.contract_balance(contract) == Decimal("1150.00")


def test_receipt_number_is_certain(org_a, dispositif_a, statement, regisseur, frozen):
    contract = household(org_a, dispositif_a, "Moussa", "Keïta", reference="C-0001")
    payment = ledger.payment_record(
        contract=contract, date=datetime.date(2025, 10, 3), amount="100",
        method=PaymentMethod.ESPECES, by=regisseur,
    )  # fmt: skip
    bank_line = line(statement, f"VIR SOLDE RECU {payment.number}", "50.00")

    assert match_lines([bank_line], by=regisseur).matched == 1
    assert proposals(bank_line)[0].contract == contract
    # 1 350 called, 100 in cash, 50 by transfer.
    assert ledger.contract_balance(contract) == Decimal("1200.00")


def test_name_in_any_order_and_without_accents(org_a, dispositif_a, statement, regisseur, frozen):
    diallo = household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    keita = household(org_a, dispositif_a, "Moussa", "Keïta", reference="C-0002")
    household(org_a, dispositif_a, "Yonas", "Tesfaye", reference="C-0003")
    first = line(statement, "VIR M DIALLO AMINATA")
    second = line(statement, "VIR SEPA KEITA MOUSSA LOYER NOVEMBRE")
    third = line(statement, "VIREMENT DE MOUSSA KEÏTA")

    counts = match_lines([first, second, third], by=regisseur)

    assert counts == MatchCounts(matched=0, proposed=3, suspense=0)
    assert [p.contract for p in proposals(first)] == [diallo]
    assert [p.contract for p in proposals(second)] == [keita]
    assert [p.contract for p in proposals(third)] == [keita]
    top = proposals(first)[0]
    assert not top.certain and top.kind == LedgerKind.PAIEMENT and top.amount == Decimal("200")
    assert "nom et prénom de Aminata Diallo" in top.reasons
    first.refresh_from_db()
    assert first.status == LineStatus.PROPOSED
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists()


def test_a_typing_error_still_proposes(org_a, dispositif_a, statement, regisseur, frozen):
    diallo = household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    bank_line = line(statement, "VIR DIALO AMINATTA", "123.00")

    match_lines([bank_line], by=regisseur)

    (proposal,) = proposals(bank_line)
    assert proposal.contract == diallo
    assert "approchant" in proposal.reasons
    exact = line(statement, "VIR DIALLO AMINATA", "124.00")
    match_lines([exact], by=regisseur)
    assert proposals(exact)[0].score > proposal.score


def test_short_names_must_be_exact(org_a, dispositif_a, statement, regisseur, frozen):
    household(org_a, dispositif_a, "Oumar", "Sow", reference="C-0001")
    bank_line = line(statement, "VIR SOWE OUMARA", "123.45")

    assert match_lines([bank_line], by=regisseur) == MatchCounts(0, 0, 1)


def test_the_amount_owed_ranks_first_among_a_shared_surname(org_a, dispositif_a, statement,
                                                           regisseur, frozen):  # fmt: skip
    # Two Traoré households; the line names the surname alone and pays 1 350, what the first
    # owes (3 calls of 450); the second owes 3 x (420 + 50) = 1 410.
    owes = household(org_a, dispositif_a, "Awa", "Traoré", reference="C-0001")
    other = household(org_a, dispositif_a, "Sékou", "Traoré", reference="C-0002", rent="420.00")
    bank_line = line(statement, "VIR MME TRAORE", "1350.00")

    match_lines([bank_line], by=regisseur)

    ranked = proposals(bank_line)
    assert [p.contract for p in ranked] == [owes, other]
    assert ranked[0].score > ranked[1].score
    assert "solde dû" in ranked[0].reasons
    # A shared surname alone weighs little.
    assert ranked[1].score == 25


def test_the_usual_amount_raises_the_score(org_a, dispositif_a, statement, regisseur, frozen):
    # Residual rent: 400 + 50 - 250 = 200; the last payment: 180.
    diallo = household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    ledger.payment_record(contract=diallo, date=datetime.date(2025, 10, 2), amount="180",
                          method=PaymentMethod.VIREMENT, by=regisseur)  # fmt: skip
    residual = line(statement, "VIR DIALLO AMINATA", "200.00")
    usual = line(statement, "VIR DIALLO AMINATA", "180.00")
    other = line(statement, "VIR DIALLO AMINATA", "123.45")

    match_lines([residual, usual, other], by=regisseur)

    scores = {key: proposals(value)[0] for key, value in
              {"residual": residual, "usual": usual, "other": other}.items()}  # fmt: skip
    assert scores["residual"].score == scores["usual"].score > scores["other"].score
    assert "reste à charge" in scores["residual"].reasons
    assert "derniers paiements" in scores["usual"].reasons


def test_an_amount_alone_designates_a_single_household(org_a, dispositif_a, statement,
                                                       regisseur, frozen):  # fmt: skip
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    keita = household(org_a, dispositif_a, "Moussa", "Keïta", reference="C-0002", rent="420.00")
    bank_line = line(statement, "VIR SEPA LOYER", "1410.00")
    ambiguous = line(statement, "VIR SEPA LOYER", "999.00")

    assert match_lines([bank_line, ambiguous], by=regisseur) == MatchCounts(0, 1, 1)
    (proposal,) = proposals(bank_line)
    assert proposal.contract == keita and proposal.score == 30


def test_an_aid_is_proposed_as_an_aid(org_a, dispositif_a, statement, regisseur, frozen):
    diallo = household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    bank_line = line(statement, "VIR FSL 71 AIDE MAINTIEN DIALLO AMINATA", "300.00")

    match_lines([bank_line], by=regisseur)

    (proposal,) = proposals(bank_line)
    assert proposal.contract == diallo and proposal.kind == LedgerKind.AIDE


def test_no_proposal_leaves_the_line_in_suspense(org_a, dispositif_a, statement, regisseur,
                                                 frozen):  # fmt: skip
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    bank_line = line(statement, "VIR SCI DES TILLEULS REMBOURSEMENT", "87.00")

    assert match_lines([bank_line], by=regisseur) == MatchCounts(0, 0, 1)
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.SUSPENSE
    assert proposals(bank_line) == []


def test_a_debit_line_is_set_aside(org_a, statement, regisseur, frozen):
    bank_line = line(statement, "PRLV FRAIS TENUE DE COMPTE", "-12.50")

    assert match_lines([bank_line], by=regisseur) == MatchCounts(0, 0, 0)
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.IGNORED
    assert bank_line.note == DEBIT_NOTE


def test_a_household_that_left_long_ago_is_not_proposed(org_a, dispositif_a, statement,
                                                        regisseur, frozen):  # fmt: skip
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001", calls=False,
              start=datetime.date(2022, 1, 1)).__class__.objects.filter(
        reference="C-0001"
    ).update(actual_end_date=datetime.date(2023, 1, 1))  # fmt: skip
    bank_line = line(statement, "VIR DIALLO AMINATA")

    assert match_lines([bank_line], by=regisseur) == MatchCounts(0, 0, 1)


def test_a_certain_line_not_writable_waits_for_the_regisseur(org_a, dispositif_a, statement,
                                                             regisseur, frozen):  # fmt: skip
    # The transfer predates the contract: the ledger refuses it, the line is proposed.
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0777",
              start=datetime.date(2025, 11, 10))  # fmt: skip
    bank_line = line(statement, "VIR C-0777", booked_on=datetime.date(2025, 11, 3))

    assert match_lines([bank_line], by=regisseur) == MatchCounts(0, 1, 0)
    (proposal,) = proposals(bank_line)
    assert not proposal.certain and "non enregistré" in proposal.reasons


def test_matching_again_replaces_the_proposals(org_a, dispositif_a, statement, regisseur, frozen):
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    bank_line = line(statement, "VIR DIALLO AMINATA")
    match_lines([bank_line], by=regisseur)
    match_lines([bank_line], by=regisseur)
    assert len(proposals(bank_line)) == 1


def _queries(statement, regisseur, lines: int, first: int) -> int:
    made = [line(statement, f"VIR M {name} {first + n}") for n, name in
            zip(range(lines), ["DIALLO AMINATA", "KEITA MOUSSA", "INCONNU"] * lines,
                strict=False)]  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        match_lines(made, by=regisseur)
    return len([q for q in captured.captured_queries if "set_config(" not in q["sql"]])


def test_queries_do_not_grow_with_lines_nor_households(org_a, dispositif_a, statement,
                                                       regisseur, frozen):  # fmt: skip
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")
    household(org_a, dispositif_a, "Moussa", "Keïta", reference="C-0002")
    few = _queries(statement, regisseur, 3, first=0)
    household(org_a, dispositif_a, "Yonas", "Tesfaye", reference="C-0003")
    many = _queries(statement, regisseur, 30, first=100)
    assert few == many
    assert many <= 12


def test_the_benchmark_s_statement_is_matched(db):
    """The benchmark's run (``make bench`` times it against ``SECONDS``; a unit test does not
    time, a loaded machine would fail it): every kind of outcome is there."""
    from benchmarks.bank_matching import measure_matching

    timing = measure_matching(lines=2000, households=300, seed=3, today=TODAY)

    assert timing.counts["rapprochées"] > 0
    assert timing.counts["proposées"] > timing.counts["en attente"] > 0
