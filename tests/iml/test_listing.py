"""Lists sorted by column and exported as their filters show them (iml.listing)."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from iml.codes import LedgerKind, PersonRole
from iml.models import Role
from tests.conftest import login
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.tenancy.factories import LedgerEntryFactory, SubleaseContractFactory

LIST = reverse("households:household_list")
D = datetime.date


@pytest.fixture
def households(org_a, dispositif_a):
    made = []
    for number, (last, first) in enumerate(
        [("Zerrouki", "Amina"), ("Abebe", "Tesfaye"), ("=HYPERLINK(1)", "Malin"),
         ("Martin", "Élodie")] + [(f"Nom{n:02d}", "Test") for n in range(30)]
    ):  # fmt: skip
        household = HouseholdFactory(
            organisation=org_a, dispositif=dispositif_a, reference=f"M-{number:03d}",
            orientation_date=D(2025, 1, 1) + datetime.timedelta(days=number),
        )  # fmt: skip
        PersonFactory(organisation=org_a, household=household, role=PersonRole.REFERENT,
                      last_name=last, first_name=first)  # fmt: skip
        made.append(household)
    return made


def _names(body: str) -> list[str]:
    return re.findall(r'data-label="Personne de référence">([^<]+)<', body)


@pytest.mark.django_db
def test_a_list_sorts_by_a_column_both_ways(client, head_a, households):
    login(client, head_a)
    ascending = client.get(LIST, {"tri": "nom"}).content.decode()
    names = [name.strip() for name in _names(ascending)]
    assert names[:2] == ["=HYPERLINK(1) Malin", "Abebe Tesfaye"]
    assert 'aria-sort="ascending"' in ascending and "tri=-nom" in ascending
    descending = client.get(LIST, {"tri": "-nom"}).content.decode()
    assert _names(descending)[0].strip() == "Zerrouki Amina"
    assert 'aria-sort="descending"' in descending
    # An unknown column is ignored: the list's own order.
    assert client.get(LIST, {"tri": "mot_de_passe"}).status_code == 200


@pytest.mark.django_db
def test_the_export_holds_every_row_the_filters_keep_in_the_order_shown(client, head_a, households):
    login(client, head_a)
    response = client.get(LIST, {"tri": "reference", "export": "csv", "q": "test"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Référence", "Personne de référence"]
    # The thirty « Test » households over two pages of the list, all of them, in order.
    assert [row[0] for row in rows[1:]] == [f"M-{n:03d}" for n in range(4, 34)]
    everyone = client.get(LIST, {"export": "csv"}).content.decode("utf-8-sig")
    # A name a spreadsheet would take for a formula is written as text.
    assert ";'=HYPERLINK(1) Malin;" in everyone


@pytest.mark.django_db
def test_the_excel_export_reads_back(client, head_a, households):
    login(client, head_a)
    response = client.get(LIST, {"tri": "-orientation", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Référence" and len(rows) == 1 + len(households)
    assert rows[1][0] == "M-033"
    assert rows[1][5].date() == D(2025, 1, 1) + datetime.timedelta(days=33)


@pytest.mark.django_db
def test_the_contract_list_sorts_and_exports_balances(client, org_a, members_a):
    balances = {}
    for amount in ("120.00", "0.00", "455.50"):
        contract = SubleaseContractFactory(organisation=org_a)
        if amount != "0.00":
            LedgerEntryFactory(organisation=org_a, contract=contract,
                               kind=LedgerKind.DEGRADATION, debit=Decimal(amount),
                               credit=Decimal("0"), method="", number="")  # fmt: skip
        balances[contract.reference] = Decimal(amount)
    login(client, members_a[Role.REGISSEUR])
    url = reverse("tenancy:contract_list")
    response = client.get(url, {"etat": "tous", "tri": "-solde", "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    expected = sorted(balances.items(), key=lambda item: -item[1])
    assert [(row[0], row[-1]) for row in rows[1:]] == [
        (reference, f"{amount:.2f}".replace(".", ",")) for reference, amount in expected
    ]


@pytest.mark.django_db
def test_the_waiting_list_and_the_stock_sort_and_export(client, head_a, org_a, dispositif_a):
    from tests.housing.factories import HousingUnitFactory

    for number, places in enumerate((3, 1, 2)):
        HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, places=places,
                           reference=f"L-{number}", captation_date=D(2024, 1, 1))  # fmt: skip
        HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference=f"W-{number}",
                         orientation_date=D(2025, 3, 1 + number))  # fmt: skip
    login(client, head_a)
    stock = client.get(reverse("housing:unit_list"), {"tri": "-places", "export": "csv"})
    rows = list(csv.reader(io.StringIO(stock.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["L-0", "L-2", "L-1"]
    waiting = client.get(reverse("households:waiting_list"), {"tri": "orientation"})
    body = waiting.content.decode()
    assert body.index("W-0") < body.index("W-1") < body.index("W-2")
    assert "Exporter la liste" in body


@pytest.mark.django_db
def test_the_alert_and_plan_lists_sort_and_export(client, head_a, org_a, members_a):
    from alerts.models import Alert

    for number, due in enumerate((D(2025, 3, 1), D(2025, 1, 1), D(2025, 2, 1))):
        household = HouseholdFactory(organisation=org_a, reference=f"A-{number}")
        Alert.all_organisations.create(
            organisation=org_a, household=household, kind="sans_contact", subject_id=number,
            milestone=str(number), level="overdue", due_date=due, assignee_role=Role.HEAD,
        )  # fmt: skip
    login(client, head_a)
    response = client.get(reverse("alert_list"), {"tri": "echeance", "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[1:]] == ["A-1", "A-2", "A-0"]
    assert rows[1][3] == "01/01/2025"
    assert client.get(reverse("tenancy:plan_list"), {"tri": "-dette"}).status_code == 200
    plans = client.get(reverse("tenancy:plan_list"), {"tri": "-dette", "export": "csv"})
    assert plans.content.decode("utf-8-sig").startswith("Ménage;Contrat;Signé le;Dette")


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["nom", "-personnes", "referent", "-entree"])
def test_a_sorted_list_costs_the_same_queries_whatever_its_size(
    client, head_a, org_a, dispositif_a, sort, django_assert_max_num_queries
):
    def grow(count):
        for _ in range(count):
            household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
            PersonFactory(organisation=org_a, household=household, role=PersonRole.REFERENT)

    login(client, head_a)
    grow(3)
    with django_assert_max_num_queries(13):
        client.get(LIST, {"tri": sort})
    grow(40)
    with django_assert_max_num_queries(13):
        assert client.get(LIST, {"tri": sort}).status_code == 200
