"""Every surface that shows a money figure agrees with the money module, and both with sums
computed here from the raw rows of the ledger: the dashboard, the cash journal (page and PDF),
the contract list, the household account, « Mes ménages », the debt alerts, the owner page and
the annual report.

The story, on 20 June 2025:
- H-DEBT, in a room since 10 January (315 + 35, CAF 154), paid its residual rent until April,
  nothing since: in debt (two calls since its last payment, 392 € owed);
- H-PAYS, a whole flat since 1 February (500 + 40, CAF 250), pays each month; today 290 €
  in cash and a 100 € cheque that bounced the same day;
- H-LEFT, a whole flat since 1 January (400 + 50), left on 16 April, the exit recorded today
  after it paid every month's call to June: a credit;
- H-SMALL, a room since 1 March (300 + 0, no CAF), 10 € short on June: owes, not in debt.
"""

import datetime
import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from alerts.job import sync_alerts
from alerts.models import Alert, AlertKind
from households.models import Household
from iml.codes import PaymentMethod
from iml.models import Role
from reporting.compute import compute_report
from tenancy import ledger, money
from tenancy.calls import issue_calls_to_date
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.owners import owner_leases
from tenancy.services import exit_with_contracts
from tests.conftest import login, shown
from tests.housing.factories import HousingUnitFactory, MainLeaseFactory, RoomFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal
TODAY = D(2025, 6, 20)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20 10:00"):
        yield


def _contract(org, dispositif, reference, start, rent, charges, caf, *, room=False):
    unit = HousingUnitFactory(organisation=org, dispositif=dispositif, reference=f"U-{reference}",
                              rent=rent, charges=charges, colocation=room)  # fmt: skip
    MainLeaseFactory(organisation=org, unit=unit, start_date=D(2024, 1, 1))
    contract = SubleaseContractFactory(
        organisation=org, unit=unit, start_date=start, household__reference=reference,
        room=RoomFactory(organisation=org, unit=unit) if room else None,
        rent=rent, charges=charges, expected_housing_benefit=caf,
    )  # fmt: skip
    issue_calls_to_date(contract, TODAY)
    return contract


def _pay(contract, day, amount, user, method=PaymentMethod.VIREMENT):
    return ledger.payment_record(contract=contract, date=day, amount=amount, method=method,
                                 by=user, confirmed=True)  # fmt: skip


@pytest.fixture
def story(org_a, dispositif_a, members_a):
    user = members_a[Role.REGISSEUR].user
    debt = _contract(org_a, dispositif_a, "H-DEBT", D(2025, 1, 10), E("315"), E("35"), E("154"),
                     room=True)  # fmt: skip
    pays = _contract(org_a, dispositif_a, "H-PAYS", D(2025, 2, 1), E("500"), E("40"), E("250"))
    left = _contract(org_a, dispositif_a, "H-LEFT", D(2025, 1, 1), E("400"), E("50"), E("0"))
    small = _contract(org_a, dispositif_a, "H-SMALL", D(2025, 3, 1), E("300"), E("0"), E("0"),
                      room=True)  # fmt: skip
    for month in range(1, 7):
        day = D(2025, month, 12)
        caf = {c: c.expected_housing_benefit for c in (debt, pays)}
        if month == 1:  # H-DEBT's January is prorated: 22 days of 31
            caf[debt] = E("109.29")
        if month == 1:
            del caf[pays]
        ledger.caf_confirm(month=D(2025, month, 1), received=caf, date=day, by=user)
        call = {
            c.pk: e.debit
            for c in (debt, pays, left, small)
            for e in c.entries.filter(kind="appel", period=D(2025, month, 1))
        }
        call = {c: call[c.pk] for c in (debt, pays, left, small) if c.pk in call}
        if month <= 4:
            _pay(debt, day, call[debt] - caf[debt], user)
        if month >= 2 and month < 6:
            _pay(pays, day, call[pays] - caf[pays], user)
        _pay(left, day, call[left], user)
        if month >= 3:
            _pay(small, day, call[small] - (E("10") if month == 6 else 0), user)
    _pay(pays, TODAY, "290", user, method=PaymentMethod.ESPECES)
    cheque = _pay(pays, TODAY, "100", user, method=PaymentMethod.CHEQUE)
    ledger.entry_reverse(entry=cheque, date=TODAY, reason="Chèque sans provision", by=user)
    exit_with_contracts(household=left.household, exit_date=D(2025, 4, 16),
                        destination="logement_social", by=user)  # fmt: skip
    sync_alerts(org_a, TODAY)
    return {"debt": debt, "pays": pays, "left": left, "small": small, "user": user}


# --- Independent sums from the raw rows -------------------------------------------------------


def raw_rows():
    return list(
        LedgerEntry.objects.values_list(
            "pk", "contract_id", "contract__household_id", "date", "kind", "debit", "credit",
            "reverses_id", "period", "method",
        )
    )  # fmt: skip


def raw_balances(by: str) -> dict[int, Decimal]:
    index = 1 if by == "contract" else 2
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for row in raw_rows():
        balances[row[index]] += row[5] - row[6]
    return dict(balances)


def raw_takings(day) -> Decimal:
    rows = raw_rows()
    kinds = {row[0]: row[4] for row in rows}
    total = E(0)
    for _pk, _c, _h, date, kind, debit, credit, reverses, _p, _m in rows:
        if date != day:
            continue
        if kind == "paiement":
            total += credit
        elif kind == "annulation" and kinds[reverses] == "paiement":
            total -= debit
    return total


def raw_period_sums(start, end) -> dict[str, Decimal]:
    rows = raw_rows()
    kinds = {row[0]: row[4] for row in rows}
    sums = defaultdict(Decimal)
    for _pk, _c, _h, date, kind, debit, credit, reverses, _p, _m in rows:
        if not start <= date <= end:
            continue
        if kind == "annulation":
            sums[kinds[reverses]] -= debit + credit
        else:
            sums[kind] += debit + credit
    return sums


def raw_month_calls(unit_id, month) -> Decimal:
    contracts = set(SubleaseContract.objects.filter(unit_id=unit_id).values_list("pk", flat=True))
    rows = raw_rows()
    reversed_ids = {row[7] for row in rows if row[4] == "annulation"}
    return sum(
        (row[5] for row in rows
         if row[4] == "appel" and row[8] == month and row[1] in contracts
         and row[0] not in reversed_ids),
        E(0),
    )  # fmt: skip


def pdf_text(response) -> str:
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


# --- The story's figures, by hand -------------------------------------------------------------


def test_the_story_by_hand(story):
    """Anchors of the independent sums: what a régisseur would compute on paper."""
    balances = raw_balances("contract")
    # H-DEBT: May and June unpaid: 2 x (350 - 154).
    assert balances[story["debt"].pk] == E("392.00")
    # H-LEFT: paid six full calls (2 700); owed Jan-Mar (1 350) + 15 April days (225).
    assert balances[story["left"].pk] == E("-1125.00")
    assert balances[story["small"].pk] == E("10.00")
    assert raw_takings(TODAY) == E("290.00")


# --- Each surface against the raw sums and the money module -----------------------------------


def test_dashboard(client, story, members_a):
    login(client, members_a[Role.REGISSEUR])
    cards = {card.label: card.value for card in shown(client.get("/"), "counts")}
    owed = sum((b for b in raw_balances("household").values() if b > 0), E(0))
    assert cards["Impayés (soldes débiteurs)"] == owed == money.debt_totals()["owed"]
    assert cards["Encaissé aujourd’hui"] == raw_takings(TODAY) == money.takings(TODAY).total
    assert cards["Ménages en dette"] == 1 == money.households_in_debt(TODAY).count()


def test_cash_journal_page_and_pdf(client, story, members_a):
    login(client, members_a[Role.REGISSEUR])
    page = client.get(reverse("tenancy:cash_journal"), {"date": "2025-06-20"})
    assert page.context["total"] == raw_takings(TODAY) == money.takings(TODAY).total
    pdf = client.get(reverse("tenancy:cash_journal_pdf"), {"date": "2025-06-20"})
    assert "Total général du jour (3 opérations) 290,00 €" in pdf_text(pdf)


def test_contract_list_and_household_account(client, story, members_a):
    login(client, members_a[Role.REGISSEUR])
    response = client.get(reverse("tenancy:contract_list"), {"etat": "tous"})
    listed = {c.pk: c.balance for c in response.context["page"].object_list}
    raw = raw_balances("contract")
    assert listed == {pk: raw.get(pk, E(0)) for pk in listed} and len(listed) == 4
    for contract in (story["debt"], story["left"]):
        assert listed[contract.pk] == money.contract_balance(contract)
    household = story["left"].household
    account = client.get(reverse("tenancy:household_account", args=[household.public_id]))
    assert shown(account, "balance") == raw_balances("household")[household.pk]
    # The filters: in debt by the rule, owing by the balance.
    in_debt = client.get(reverse("tenancy:contract_list"), {"dette": "1"}).context["page"]
    assert [c.pk for c in in_debt.object_list] == [story["debt"].pk]
    owing = client.get(reverse("tenancy:contract_list"), {"etat": "tous", "debiteur": "1"})
    assert {c.pk for c in owing.context["page"].object_list} == {
        story["debt"].pk, story["small"].pk
    }  # fmt: skip
    assert owing.context["owing_total"] == E("402.00") == money.debt_totals()["owed"]


def test_my_households_and_alerts_use_the_one_debt_rule(client, story, members_a):
    login(client, members_a[Role.HEAD])
    rows = client.get(reverse("my_households"), {"tous": "1"}).context["rows"]
    flagged = {household.reference for household, flags in rows if "impayé" in flags}
    assert flagged == {"H-DEBT"}  # H-SMALL owes 10 €: below the dispositif's thresholds
    balances = raw_balances("household")
    assert all(household.balance == balances[household.pk] for household, _ in rows)
    alerted = set(
        Alert.objects.filter(kind=AlertKind.DEBT).exclude(status="resolue")
        .values_list("subject_id", flat=True)
    )  # fmt: skip
    rule = set(money.in_debt_contracts(TODAY).filter(in_debt=True).values_list("pk", flat=True))
    assert alerted == rule == {story["debt"].pk}


def test_owner_page(client, story, members_a):
    login(client, members_a[Role.REGISSEUR])
    for month in (D(2025, 4, 1), D(2025, 6, 1)):
        response = client.get(reverse("tenancy:owner_statement"), {"mois": f"{month:%Y-%m}"})
        for lease in response.context["page"].object_list:
            assert lease.called == raw_month_calls(lease.unit_id, month), lease.unit.reference
    june = {lease.unit.reference: lease.called for lease in owner_leases(D(2025, 6, 1))}
    assert june["U-H-LEFT"] == 0  # left in April: June's call reversed
    april = {lease.unit.reference: lease.called for lease in owner_leases(D(2025, 4, 1))}
    assert april["U-H-LEFT"] == E("225.00")  # 15 days of 30


def test_the_report(story, dispositif_a):
    start, end = D(2025, 1, 1), D(2025, 6, 30)
    rent = compute_report(dispositif_a, start, end)["rent"]
    sums = raw_period_sums(start, end)
    assert rent["called"] == f"{sums['appel']:.2f}"
    assert rent["paid_by_household"] == f"{sums['paiement']:.2f}"
    assert rent["paid_by_caf"] == f"{sums['apl']:.2f}"
    totals = money.rent_totals(LedgerEntry.objects.all(), start, end)
    assert rent["called"] == f"{totals.called:.2f}"
    present = Household.objects.filter(exit_date__isnull=True).values_list("pk", flat=True)
    balances = raw_balances("household")
    debts = [balances[pk] for pk in present if balances[pk] > 0]
    assert rent["households_in_debt_at_end"] == len(debts) == 2
    assert rent["debt_at_end"] == f"{sum(debts, E(0)):.2f}"


def test_the_report_drilldown_of_an_amount(client, story, dispositif_a, members_a):
    """The page behind « Encaissé auprès des ménages »: its lines add up to the figure, the
    bounced cheque and its reversal among them."""
    from urllib.parse import urlencode

    login(client, members_a[Role.HEAD])
    query = urlencode({"dispositif": dispositif_a.public_id, "du": "2025-01-01",
                       "au": "2025-06-30", "chiffre": "rent.paid_by_household"})  # fmt: skip
    response = client.get(f"{reverse('reporting:drilldown')}?{query}")
    figure = compute_report(dispositif_a, D(2025, 1, 1), D(2025, 6, 30))["rent"]
    assert response.context["money_total"] == E(figure["paid_by_household"])
    pages = [client.get(f"{reverse('reporting:drilldown')}?{query}&page={n}") for n in (1, 2)]
    body = "".join(page.content.decode() for page in pages)
    assert "Annulation de l’écriture du 20/06/2025" in body and "H-PAYS" in body
    assert sum(page.context["page"].paginator.count for page in pages[:1]) == 21
