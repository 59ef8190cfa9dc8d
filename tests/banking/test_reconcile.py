"""Confirming bank lines into the ledger (banking.services), the reconciliation screens and
the monthly summary (banking.summary). Balances and figures are computed by hand."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from banking import services
from banking.codes import LineStatus
from banking.matching import match_lines
from banking.models import Allocation, BankLine
from banking.summary import month_summary
from iml.codes import LedgerKind, PaymentMethod
from iml.models import Role
from tenancy import ledger
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.money import contract_balance
from tests.banking.factories import BankAccountFactory, BankLineFactory, BankStatementFactory
from tests.banking.test_matching import household, line
from tests.conftest import login

pytestmark = pytest.mark.django_db
D = datetime.date
E = Decimal


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-11-20 10:00:00"):
        yield


@pytest.fixture
def regisseur(members_a):
    return members_a[Role.REGISSEUR]


@pytest.fixture
def statement(org_a):
    return BankStatementFactory(organisation=org_a, account__organisation=org_a)


@pytest.fixture
def diallo(org_a, dispositif_a):
    """Owes 3 x 450 = 1 350 (September to November 2025)."""
    return household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")


@pytest.fixture
def keita(org_a, dispositif_a):
    return household(org_a, dispositif_a, "Moussa", "Keïta", reference="C-0002")


def payments(contract):
    return list(LedgerEntry.objects.filter(contract=contract).exclude(kind=LedgerKind.APPEL))


# --- Services -------------------------------------------------------------------------------


def test_confirm_writes_a_transfer_with_the_line_as_its_source(diallo, statement, regisseur):
    bank_line = line(statement, "VIR DIALLO AMINATA", "200.00", booked_on=D(2025, 11, 4),
                     reference="NOTPROVIDED-E2E-778")  # fmt: skip

    parts = [(diallo, LedgerKind.PAIEMENT, E("200"))]
    (entry,) = services.line_confirm(line=bank_line, parts=parts, by=regisseur.user)

    assert (entry.kind, entry.credit, entry.method) == (
        LedgerKind.PAIEMENT,
        E("200.00"),
        "virement",
    )
    assert entry.date == D(2025, 11, 4) and entry.reference == "NOTPROVIDED-E2E-778"
    assert entry.bank_allocation.line == bank_line
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.MATCHED
    assert contract_balance(diallo) == E("1150.00")  # 1 350 - 200


def test_a_transfer_above_the_debt_is_recorded(diallo, statement, regisseur):
    bank_line = line(statement, "VIR DIALLO", "1500.00")
    services.line_confirm(line=bank_line, parts=[(diallo, "paiement", E("1500"))],
                          by=regisseur.user)  # fmt: skip
    assert contract_balance(diallo) == E("-150.00")  # the excess to the household's credit


def test_a_line_split_across_households(diallo, keita, statement, regisseur):
    bank_line = line(statement, "VIR ASSOCIATION ENTRAIDE POUR DIALLO ET KEITA", "500.00")

    services.line_confirm(
        line=bank_line,
        parts=[(diallo, LedgerKind.PAIEMENT, E("300")), (keita, LedgerKind.AIDE, E("150"))],
        by=regisseur.user,
    )

    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.SUSPENSE  # 50 left, no proposal
    assert services.line_remainder(bank_line) == E("50.00")
    (aid,) = payments(keita)
    assert aid.kind == LedgerKind.AIDE and "ENTRAIDE" in aid.note
    services.line_confirm(line=bank_line, parts=[(diallo, LedgerKind.PAIEMENT, E("50"))],
                          by=regisseur.user)  # fmt: skip
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.MATCHED
    assert contract_balance(diallo) == E("1000.00")  # 1 350 - 300 - 50
    assert contract_balance(keita) == E("1200.00")  # 1 350 - 150
    assert Allocation.objects.filter(line=bank_line).count() == 3


def test_parts_above_the_remainder_write_nothing(diallo, keita, statement, regisseur):
    bank_line = line(statement, "VIR", "200.00")
    with pytest.raises(ValidationError, match="dépassent ce qui reste"):
        services.line_confirm(line=bank_line, parts=[(diallo, "paiement", E("150")),
                                                     (keita, "paiement", E("60"))],
                              by=regisseur.user)  # fmt: skip
    assert payments(diallo) == payments(keita) == []
    assert not Allocation.objects.exists()


def test_a_refused_part_writes_no_other(diallo, statement, regisseur, org_a, dispositif_a):
    later = household(org_a, dispositif_a, "Awa", "Traoré", reference="C-0009",
                      start=D(2025, 11, 10))  # fmt: skip
    bank_line = line(statement, "VIR", "300.00", booked_on=D(2025, 11, 3))
    with pytest.raises(ValidationError, match="précède le début du contrat"):
        services.line_confirm(line=bank_line, parts=[(diallo, "paiement", E("100")),
                                                     (later, "paiement", E("100"))],
                              by=regisseur.user)  # fmt: skip
    assert payments(diallo) == []


def test_a_debit_or_a_line_set_aside_is_not_confirmed(diallo, statement, regisseur):
    debit = line(statement, "PRLV EDF", "-40.00")
    with pytest.raises(ValidationError, match="au crédit"):
        services.line_confirm(line=debit, parts=[(diallo, "paiement", E("40"))], by=None)
    aside = line(statement, "VIR SCI", "40.00")
    with pytest.raises(ValidationError, match="pourquoi"):
        services.line_set_aside(line=aside, note=" ", by=None)
    services.line_set_aside(line=aside, note="Remboursement du bailleur", by=None)
    with pytest.raises(ValidationError, match="écartée"):
        services.line_confirm(line=aside, parts=[(diallo, "paiement", E("40"))], by=None)
    restored = services.line_restore(line=aside, by=None)
    assert restored.status == LineStatus.SUSPENSE and restored.note == ""


def test_accept_many_goes_through_but_one(diallo, keita, statement, regisseur, org_a,
                                          dispositif_a):  # fmt: skip
    later = household(org_a, dispositif_a, "Awa", "Traoré", reference="C-0009")
    first = line(statement, "VIR M DIALLO AMINATA", "200.00")
    second = line(statement, "VIR KEITA MOUSSA", "120.00")
    refused = line(statement, "VIR TRAORE AWA", "90.00")
    match_lines([first, second, refused], by=regisseur.user)
    # Admitted by mistake and cancelled between the matching and the confirmation.
    SubleaseContract.objects.filter(pk=later.pk).update(
        cancelled_at=timezone.now(), actual_end_date=F("start_date")
    )

    result = services.proposals_accept(lines=[first, second, refused], by=regisseur.user)

    assert result.accepted == [first, second]
    assert [(failed, "annulé" in why) for failed, why in result.failed] == [(refused, True)]
    assert contract_balance(diallo) == E("1150.00")  # 1 350 - 200
    assert contract_balance(keita) == E("1230.00")  # 1 350 - 120
    assert payments(later) == []
    statuses = dict(BankLine.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == LineStatus.MATCHED
    assert statuses[refused.pk] == LineStatus.PROPOSED
    again = services.proposals_accept(lines=[first], by=regisseur.user)
    assert again.already == [first] and again.accepted == []
    assert contract_balance(diallo) == E("1150.00")


def test_a_reversal_puts_the_line_back_to_match(diallo, statement, regisseur, client):
    bank_line = line(statement, "VIR M DIALLO AMINATA", "200.00")
    match_lines([bank_line], by=regisseur.user)
    services.proposals_accept(lines=[bank_line], by=regisseur.user)
    entry = LedgerEntry.objects.get(contract=diallo, kind=LedgerKind.PAIEMENT)

    # Reversed on the contract's page (tenancy), which knows nothing of the bank.
    login(client, regisseur)
    client.post(reverse("tenancy:entry_reverse", args=[entry.public_id]),
                {"date": "2025-11-20", "reason": "Mauvais ménage"})  # fmt: skip
    assert LedgerEntry.objects.filter(reverses=entry).exists()
    assert services.line_remainder(bank_line) == E("200.00")

    page = client.get(reverse("banking:reconcile"))

    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.PROPOSED
    assert [shown.pk for shown in page.context["lines"]] == [bank_line.pk]
    assert contract_balance(diallo) == E("1350.00")


# --- Screens --------------------------------------------------------------------------------


def test_enter_accepts_the_first_proposal_once(client, diallo, statement, regisseur):
    bank_line = line(statement, "VIR M DIALLO AMINATA", "200.00")
    match_lines([bank_line], by=regisseur.user)
    login(client, regisseur)
    page = client.get(reverse("banking:reconcile")).content.decode()
    assert re.search(rf'name="one" value="{bank_line.public_id}" class="accept" autofocus', page)
    assert "Aminata" in page and "C-0001" in page

    url = reverse("banking:reconcile_accept")
    client.post(url, {"one": str(bank_line.public_id)})
    second = client.post(url, {"one": str(bank_line.public_id)}, follow=True)

    assert len(payments(diallo)) == 1
    assert "déjà rapprochée" in second.content.decode()
    assert contract_balance(diallo) == E("1150.00")


def test_validate_the_selection(client, diallo, keita, statement, regisseur):
    lines = [line(statement, "VIR M DIALLO AMINATA", "200.00"),
             line(statement, "VIR KEITA MOUSSA", "100.00"),
             line(statement, "VIR KEITA MOUSSA", "101.00")]  # fmt: skip
    match_lines(lines, by=regisseur.user)
    login(client, regisseur)
    chosen = [str(lines[0].public_id), str(lines[1].public_id), "pas-un-uuid"]
    response = client.post(reverse("banking:reconcile_accept"),
                           {"lines": chosen, "selection": "1"}, follow=True)  # fmt: skip
    assert "2 lignes rapprochées" in response.content.decode()
    assert contract_balance(diallo) == E("1150.00")
    assert contract_balance(keita) == E("1250.00")
    assert [shown.pk for shown in response.context["lines"]] == [lines[2].pk]


def test_choose_another_proposal(client, org_a, dispositif_a, statement, regisseur):
    awa = household(org_a, dispositif_a, "Awa", "Traoré", reference="C-0001")
    sekou = household(org_a, dispositif_a, "Sékou", "Traoré", reference="C-0002")
    bank_line = line(statement, "VIR TRAORE", "77.00")
    match_lines([bank_line], by=regisseur.user)
    second = bank_line.proposals.get(rank=2)
    login(client, regisseur)
    client.post(reverse("banking:reconcile_accept"), {"proposal": str(second.public_id)})
    assert len(payments(second.contract)) == 1
    assert len(payments(awa if second.contract == sekou else sekou)) == 0


def test_split_form_records_once(client, diallo, keita, statement, regisseur):
    bank_line = line(statement, "VIR ENTRAIDE", "300.00")
    login(client, regisseur)
    url = reverse("banking:line", args=[bank_line.public_id])
    page = client.get(url, {"q": "diallo"})
    options = page.content.decode()
    assert "Diallo Aminata — contrat C-0001" in options and "C-0002" not in options
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', options).group(1)
    data = {
        "submission_key": key,
        "contract_1": str(diallo.public_id), "kind_1": "paiement", "amount_1": "200",
        "contract_2": str(keita.public_id), "kind_2": "aide", "amount_2": "100",
        **{f"kind_{n}": "paiement" for n in (3, 4)},
    }  # fmt: skip
    first = client.post(url, data)
    client.post(url, data)

    assert first.status_code == 302 and first.url == reverse("banking:reconcile")
    assert contract_balance(diallo) == E("1150.00")
    assert contract_balance(keita) == E("1250.00")
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.MATCHED


def test_split_form_refuses_more_than_the_line(client, diallo, statement, regisseur):
    bank_line = line(statement, "VIR ENTRAIDE", "100.00")
    login(client, regisseur)
    url = reverse("banking:line", args=[bank_line.public_id])
    response = client.post(url, {"contract_1": str(diallo.public_id), "kind_1": "paiement",
                                 "amount_1": "150", "kind_2": "paiement", "kind_3": "paiement",
                                 "kind_4": "paiement"})  # fmt: skip
    assert response.status_code == 200
    assert "dépassent ce qui reste" in response.content.decode()
    assert payments(diallo) == []


def test_set_aside_and_restore_screens(client, statement, regisseur):
    bank_line = line(statement, "VIR SCI DES TILLEULS", "40.00")
    login(client, regisseur)
    refused = client.post(reverse("banking:line_set_aside", args=[bank_line.public_id]),
                          {"note": ""})  # fmt: skip
    assert refused.status_code == 200
    client.post(reverse("banking:line_set_aside", args=[bank_line.public_id]),
                {"note": "Remboursement du bailleur"})  # fmt: skip
    bank_line.refresh_from_db()
    assert (bank_line.status, bank_line.note) == (LineStatus.IGNORED, "Remboursement du bailleur")
    client.post(reverse("banking:line_restore", args=[bank_line.public_id]))
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.SUSPENSE


@pytest.mark.parametrize(
    "name", ["reconcile", "suspense", "summary", "reconcile_accept", "suspense_rematch"]
)
def test_social_worker_is_refused(client, social_worker_a, name):
    login(client, social_worker_a)
    method = client.post if name.endswith(("accept", "rematch")) else client.get
    assert method(reverse(f"banking:{name}")).status_code == 403


def test_social_worker_is_refused_a_line(client, social_worker_a, statement):
    bank_line = line(statement, "VIR", "10.00")
    login(client, social_worker_a)
    for name in ("line", "line_set_aside", "line_restore"):
        url = reverse(f"banking:{name}", args=[bank_line.public_id])
        assert client.post(url).status_code == 403
    assert client.get(reverse("banking:line", args=[bank_line.public_id])).status_code == 403


def test_the_head_may_reconcile(client, head_a):
    login(client, head_a)
    assert client.get(reverse("banking:reconcile")).status_code == 200


def _many_lines(statement, org_a, dispositif_a, count: int, start: int) -> None:
    for n in range(count):
        contract = household(org_a, dispositif_a, "Aminata", f"Diallo{chr(65 + start + n)}x",
                             reference=f"C-9{start + n:03d}", calls=False)  # fmt: skip
        bank_line = line(statement, f"VIR M {contract.reference} AMINATA", f"{10 + start + n}")
        bank_line.status = LineStatus.PROPOSED
        bank_line.save()
        bank_line.proposals.create(organisation=org_a, contract=contract, amount=E("10"),
                                   score=60, rank=1, reasons="nom")  # fmt: skip
        line(statement, f"INCONNU {start + n}", f"{20 + start + n}")


def test_list_pages_have_a_query_ceiling(client, statement, regisseur, org_a, dispositif_a,
                                         django_assert_max_num_queries):  # fmt: skip
    _many_lines(statement, org_a, dispositif_a, 2, 0)
    login(client, regisseur)
    client.get(reverse("banking:reconcile"))  # warm the session and caches
    for step, count in ((0, 2), (1, 6)):
        if step:
            _many_lines(statement, org_a, dispositif_a, count, 10)
        with django_assert_max_num_queries(14):
            page = client.get(reverse("banking:reconcile"))
        assert len(page.context["lines"]) == 2 + (count if step else 0)
        with django_assert_max_num_queries(12):
            page = client.get(reverse("banking:suspense"))
        assert page.status_code == 200


def test_rematch_the_suspense(client, statement, regisseur, org_a, dispositif_a):
    bank_line = line(statement, "VIR M DIALLO AMINATA", "200.00")
    match_lines([bank_line], by=regisseur.user)
    bank_line.refresh_from_db()
    assert bank_line.status == LineStatus.SUSPENSE
    household(org_a, dispositif_a, "Aminata", "Diallo", reference="C-0001")  # admitted since
    login(client, regisseur)
    response = client.post(reverse("banking:suspense_rematch"), follow=True)
    assert "1 proposée(s)" in response.content.decode()


# --- Summary --------------------------------------------------------------------------------


def test_month_summary_by_hand(client, org_a, diallo, regisseur):
    account = BankAccountFactory(organisation=org_a, iban="FR7630004000031234567890143")
    other = BankAccountFactory(organisation=org_a, iban="FR7630001007941234567890185")
    statement = BankStatementFactory(organisation=org_a, account=account)
    elsewhere = BankStatementFactory(organisation=org_a, account=other)

    def made(label, amount, status, day=None, where=statement):
        return BankLineFactory(statement=where, label=label, amount=E(amount), status=status,
                               booked_on=day or D(2025, 11, 5))  # fmt: skip

    matched = made("VIR DIALLO", "200.00", LineStatus.SUSPENSE)
    services.line_confirm(line=matched, parts=[(diallo, "paiement", E("200"))], by=None)
    made("VIR A", "150.00", LineStatus.PROPOSED)
    made("VIR B", "80.50", LineStatus.SUSPENSE)
    made("VIR C", "19.50", LineStatus.SUSPENSE)
    made("VIR SCI", "30.00", LineStatus.IGNORED)
    made("FRAIS", "-12.50", LineStatus.IGNORED)
    made("VIR OCTOBRE", "999.00", LineStatus.SUSPENSE, day=D(2025, 10, 31))
    made("VIR DECEMBRE", "999.00", LineStatus.SUSPENSE, day=D(2025, 12, 1))
    made("AUTRE COMPTE", "999.00", LineStatus.SUSPENSE, where=elsewhere)

    summary = month_summary(account, D(2025, 11, 17))

    assert (summary.credits.count, summary.credits.amount) == (5, E("480.00"))
    assert (summary.matched.count, summary.matched.amount) == (1, E("200.00"))
    assert (summary.proposed.count, summary.proposed.amount) == (1, E("150.00"))
    assert (summary.suspense.count, summary.suspense.amount) == (2, E("100.00"))
    assert (summary.ignored.count, summary.ignored.amount) == (1, E("30.00"))
    assert (summary.debits.count, summary.debits.amount) == (1, E("12.50"))

    login(client, regisseur)
    page = client.get(reverse("banking:summary"), {"compte": str(account.public_id),
                                                   "mois": "2025-11"})  # fmt: skip
    body = page.content.decode()
    assert page.context["summary"] == summary
    assert "480,00" in body and "100,00" in body
    bad = client.get(reverse("banking:summary"), {"compte": str(account.public_id),
                                                  "mois": "2025-13"})  # fmt: skip
    assert bad.context["summary"] is None and "AAAA-MM" in bad.content.decode()


def test_summary_of_a_reversed_match(client, org_a, diallo, regisseur):
    account = BankAccountFactory(organisation=org_a, iban="FR7630004000031234567890143")
    statement = BankStatementFactory(organisation=org_a, account=account)
    bank_line = BankLineFactory(statement=statement, label="VIR", amount=E("200"))
    (entry,) = services.line_confirm(line=bank_line, parts=[(diallo, "paiement", E("200"))],
                                     by=None)  # fmt: skip
    ledger.entry_reverse(entry=entry, date=D(2025, 11, 20), reason="Erreur", by=regisseur.user)
    login(client, regisseur)
    page = client.get(reverse("banking:summary"), {"compte": str(account.public_id),
                                                   "mois": "2025-11"})  # fmt: skip
    assert page.context["summary"].suspense.count == 1
    assert page.context["summary"].matched.count == 0


def test_entries_keep_the_transfer_method(diallo, statement, regisseur):
    bank_line = line(statement, "VIR", "10.00")
    services.line_confirm(line=bank_line, parts=[(diallo, "paiement", E("10"))], by=None)
    assert payments(diallo)[0].method == PaymentMethod.VIREMENT
