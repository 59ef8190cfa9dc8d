"""The CAF's monthly batch: expected benefit prorated by days, what was received (net of
reversals), the batch form (one `apl` entry per household, all or nothing), roles and
isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import LedgerKind
from iml.models import Role
from tenancy import ledger, owners
from tenancy.calls import issue_rent_calls
from tenancy.models import LedgerEntry
from tenancy.money import contract_balance
from tests.households.factories import PersonFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal
JUNE = D(2025, 6, 1)
URL = reverse("tenancy:caf_batch") + "?mois=2025-06"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def frozen():
    with freeze_time("2025-06-20"):
        yield


def contract(org, dispositif, reference, **kwargs):
    made = SubleaseContractFactory(
        organisation=org, unit__dispositif=dispositif, reference=reference, **kwargs
    )
    PersonFactory(organisation=org, household=made.household, first_name="Awa", last_name=reference)
    return made


@pytest.fixture
def june(org_a, dispositif_a):
    """Contracts of June 2025: C-FULL the whole month (250 expected), C-IN from 11 June (300
    a month: 200.00 for 20 days), C-OUT out on 16 June (250: 125.00 for 15 days); C-NONE
    expects no benefit, C-JULY starts in July, C-MAY ended in May: not in the batch."""
    made = {
        "full": contract(org_a, dispositif_a, "C-FULL", start_date=D(2025, 1, 1)),
        "in": contract(
            org_a,
            dispositif_a,
            "C-IN",
            start_date=D(2025, 6, 11),
            expected_housing_benefit=E("300.00"),
        ),
        "out": contract(
            org_a, dispositif_a, "C-OUT", start_date=D(2025, 1, 1), actual_end_date=D(2025, 6, 16)
        ),
    }
    contract(org_a, dispositif_a, "C-NONE", expected_housing_benefit=E("0"))
    contract(org_a, dispositif_a, "C-JULY", start_date=D(2025, 7, 1))
    contract(org_a, dispositif_a, "C-MAY", start_date=D(2025, 1, 1), actual_end_date=D(2025, 6, 1))
    issue_rent_calls(organisation_id=org_a.pk, months=[JUNE])
    return made


@pytest.fixture
def regisseur(client, members_a):
    client.force_login(members_a[Role.REGISSEUR].user)
    return client


def field(contract) -> str:
    return f"recu-{contract.public_id}"


def html(response) -> str:
    return response.content.decode()


def apl_count() -> int:
    return LedgerEntry.objects.filter(kind=LedgerKind.APL).count()


# --- Expected and received --------------------------------------------------------------------


def test_expected_benefit_is_prorated_by_the_days_of_the_month(june):
    batch = owners.caf_batch(JUNE)
    lines = {line.contract.reference: line for line in batch.lines}
    assert set(lines) == {"C-FULL", "C-IN", "C-OUT"}
    assert (lines["C-FULL"].days, lines["C-FULL"].expected) == (30, E("250.00"))
    assert (lines["C-IN"].days, lines["C-IN"].expected) == (20, E("200.00"))
    assert (lines["C-OUT"].days, lines["C-OUT"].expected) == (15, E("125.00"))
    assert lines["C-IN"].expected == ledger.prorate(E("300.00"), 20, 30)
    assert lines["C-IN"].household_name == "Awa C-IN"
    assert batch.expected == E("575.00") and batch.received == 0
    assert batch.difference == E("-575.00")


def test_a_reversed_transfer_counts_as_not_received(june, head_a):
    ledger.caf_confirm(
        month=JUNE, received={june["full"]: E("250")}, date=D(2025, 6, 5), by=head_a.user
    )
    (line,) = [line for line in owners.caf_batch(JUNE).lines if line.contract == june["full"]]
    assert line.recorded and line.received == E("250.00") and line.difference == 0
    entry = LedgerEntry.objects.get(kind=LedgerKind.APL)
    ledger.entry_reverse(entry=entry, date=D(2025, 6, 6), reason="Erreur CAF", by=head_a.user)
    (line,) = [line for line in owners.caf_batch(JUNE).lines if line.contract == june["full"]]
    assert not line.recorded and line.received == 0
    # Not received: it can be confirmed again.
    ledger.caf_confirm(
        month=JUNE, received={june["full"]: E("240")}, date=D(2025, 6, 7), by=head_a.user
    )
    (line,) = [line for line in owners.caf_batch(JUNE).lines if line.contract == june["full"]]
    assert line.recorded and line.received == E("240.00")


def test_the_page_shows_lines_and_totals_with_prefilled_amounts(june, regisseur):
    page = html(regisseur.get(URL))
    assert "Versements CAF — juin 2025" in page
    for reference in ("C-FULL", "C-IN", "C-OUT", "Awa C-FULL"):
        assert reference in page
    for reference in ("C-NONE", "C-JULY", "C-MAY"):
        assert reference not in page
    assert 'value="200,00"' in page and 'value="125,00"' in page
    assert "575,00\u00a0€" in page and "-575,00\u00a0€" in page  # totals
    assert 'value="2025-06-20"' in page  # date of receipt: today


def test_the_month_defaults_to_the_current_one_and_ignores_garbage(june, regisseur):
    for url in (reverse("tenancy:caf_batch"), reverse("tenancy:caf_batch") + "?mois=2025-13"):
        response = regisseur.get(url)
        assert response.status_code == 200 and response.context["month"] == JUNE
    assert "Mois invalide" in html(regisseur.get(reverse("tenancy:caf_batch") + "?mois=x"))
    assert regisseur.get(reverse("tenancy:caf_batch") + "?mois=9999-12").status_code == 200


def test_an_empty_month_says_what_to_do(june, regisseur):
    page = html(regisseur.get(reverse("tenancy:caf_batch") + "?mois=2024-01"))
    assert "n’attend d’aide au logement" in page


# --- Confirmation -----------------------------------------------------------------------------


def test_the_batch_writes_one_entry_per_household_and_the_balances_drop(june, regisseur, members_a):
    before = {key: contract_balance(c) for key, c in june.items()}
    response = regisseur.post(
        URL,
        {
            "date": "2025-06-18",
            field(june["full"]): "240,10",
            field(june["in"]): "200.00",
            field(june["out"]): "",  # not received
        },
    )
    assert response.status_code == 302 and response["Location"] == URL
    entries = LedgerEntry.objects.filter(kind=LedgerKind.APL).order_by("credit")
    assert [(e.contract.reference, e.credit) for e in entries] == [
        ("C-IN", E("200.00")),
        ("C-FULL", E("240.10")),
    ]
    assert all(e.period == JUNE and e.date == D(2025, 6, 18) for e in entries)
    assert all(e.created_by == members_a[Role.REGISSEUR].user for e in entries)
    assert contract_balance(june["full"]) == before["full"] - E("240.10")
    assert contract_balance(june["in"]) == before["in"] - E("200.00")
    assert contract_balance(june["out"]) == before["out"]
    (message,) = get_messages(response.wsgi_request)
    assert "2 ménages" in str(message) and "440,10" in str(message)
    # The received lines are shown, not editable; the other stays open.
    page = html(regisseur.get(URL))
    assert field(june["full"]) not in page and field(june["out"]) in page
    assert "Enregistré" in page and "-9,90\u00a0€" in page  # 240.10 - 250.00


def test_a_second_confirmation_of_a_household_is_refused_and_nothing_written(june, regisseur):
    data = {"date": "2025-06-18", field(june["full"]): "250,00", field(june["in"]): ""}
    assert regisseur.post(URL, data).status_code == 302
    # The same form posted again (a double click, or a colleague at the same time), with
    # another household this time: the whole batch is refused.
    response = regisseur.post(URL, {**data, field(june["in"]): "200,00"})
    assert response.status_code == 200
    assert "Versement CAF de ce mois déjà enregistré pour : C-FULL." in html(response)
    assert apl_count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"full": "12,3x"}, "Montant invalide : saisissez par exemple 240,10."),
        ({"full": "-5"}, "Un montant ne peut pas être négatif."),
        ({"full": "0"}, "Le montant doit être positif."),
        ({"full": "12,345"}, "au plus deux décimales"),
        ({"full": "250", "date": "2025-06-21"}, "La date ne peut pas être dans le futur."),
        ({"full": "250", "date": "31/02/2025"}, "Date invalide."),
        ({"full": "250", "date": "2025-05-31"}, "au plus tôt dans ce mois"),
        ({"full": "", "in": "", "out": ""}, "Aucun montant saisi"),
    ],
)
def test_bad_input_writes_nothing(june, regisseur, data, message):
    post = {"date": data.pop("date", "2025-06-18"), field(june["in"]): "200,00"}
    post.update({field(june[key]): value for key, value in data.items()})
    response = regisseur.post(URL, post)
    assert response.status_code == 200
    assert message in html(response)
    assert "Rien n’a été enregistré" in html(response) or "Aucun montant" in html(response)
    assert apl_count() == 0


def test_amounts_accept_a_decimal_comma_and_spaces(june, regisseur):
    response = regisseur.post(
        URL, {"date": "18/06/2025", field(june["full"]): " 1 240,5 ", field(june["in"]): ""}
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=LedgerKind.APL).credit == E("1240.50")


# --- Queries, roles, isolation ----------------------------------------------------------------


def test_the_page_runs_a_constant_number_of_queries(
    org_a, dispositif_a, regisseur, head_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    contract(org_a, dispositif_a, "C-ONE")
    with CaptureQueriesContext(connection) as first:
        regisseur.get(URL)
    baseline = len([q for q in first.captured_queries if "set_config(" not in q["sql"]])
    for n in range(6):
        made = contract(org_a, dispositif_a, f"C-MORE-{n}", start_date=D(2025, 6, 1 + n))
        if n % 2:
            ledger.caf_confirm(
                month=JUNE, received={made: E("100")}, date=D(2025, 6, 10), by=head_a.user
            )
    with django_assert_max_num_queries(baseline):
        response = regisseur.get(URL)
    assert len(response.context["batch"].lines) == 7


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.REGISSEUR, 200),
        (Role.HEAD, 200),
        (Role.SOCIAL_WORKER, 403),
        (Role.ADMIN, 403),
    ],
)
def test_roles(client, members_a, june, role, expected):
    client.force_login(members_a[role].user)
    assert client.get(URL).status_code == expected
    response = client.post(URL, {"date": "2025-06-18", field(june["full"]): "250"})
    assert response.status_code == (302 if expected == 200 else 403)
    assert apl_count() == (1 if expected == 200 else 0)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_organisation_sees_none_of_a_contracts(client, june, members_b):
    client.force_login(members_b[Role.REGISSEUR].user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["batch"].lines == []
    assert "C-FULL" not in html(response)
    # Posting A's contracts' fields does nothing: B's form has no such fields.
    response = client.post(URL, {"date": "2025-06-18", field(june["full"]): "250"})
    assert response.status_code == 200
    assert apl_count() == 0
