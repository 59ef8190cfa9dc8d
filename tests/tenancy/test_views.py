"""Screens of contracts and accounts: list, contract page, household account, payment entry,
cash journal, other entries, reversals, renewal, sliding lease, repayment plans."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import LedgerKind, PaymentMethod, PersonRole, RepaymentPlanStatus
from iml.models import Role
from tenancy import ledger
from tenancy.calls import issue_calls_to_date
from tenancy.models import Amendment, LedgerEntry, RepaymentPlan
from tenancy.money import contract_balance
from tenancy.plans import plan_create
from tenancy.urls import urlpatterns
from tenancy.views import contracts as views
from tests.conftest import login, shown
from tests.households.factories import PersonFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal
# The screens of tenancy/views/contracts.py, as tenancy/urls.py lists them.
CONTRACT_PATTERNS = [p for p in urlpatterns if p.callback.__module__ == views.__name__]


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20"):
        yield


@pytest.fixture
def contract(running_contract, org_a):
    PersonFactory(organisation=org_a, household=running_contract.household,
                  first_name="Amina", last_name="Kéita", role=PersonRole.REFERENT)  # fmt: skip
    return running_contract


TODAY = D(2025, 6, 20)


def pay(contract, user, amount="100", method=PaymentMethod.ESPECES, day=TODAY):
    return ledger.payment_record(contract=contract, date=day, amount=amount, method=method,
                                 by=user, confirmed=True)  # fmt: skip


# --- Lists and pages ------------------------------------------------------------------------


def test_contract_list_shows_balances_and_filters_debtors(client, contract, members_a, org_a):
    settled = SubleaseContractFactory(organisation=org_a, start_date=D(2025, 6, 1))
    login(client, members_a[Role.REGISSEUR])
    body = client.get(reverse("tenancy:contract_list")).content.decode()
    assert contract.reference in body and settled.reference in body
    assert "1\u202f669,35\u00a0€" in body and "Kéita" in body
    body = client.get(reverse("tenancy:contract_list"), {"dette": "1", "q": "keita"}).content
    assert contract.reference in body.decode()
    pay(settled, members_a[Role.REGISSEUR].user, amount="450")
    body = client.get(reverse("tenancy:contract_list"), {"dette": "1"}).content.decode()
    assert settled.reference not in body


def test_contract_list_query_count_does_not_grow(
    client, members_a, org_a, dispositif_a, django_assert_max_num_queries
):
    login(client, members_a[Role.HEAD])
    url = reverse("tenancy:contract_list")
    for count in (2, 12):
        while LedgerEntry.objects.count() < count * 6:  # entries make the balances non-trivial
            c = SubleaseContractFactory(organisation=org_a, unit__dispositif=dispositif_a)
            issue_calls_to_date(c)
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


def test_contract_page_shows_the_ledger_with_running_balance(client, contract, members_a):
    regisseur = members_a[Role.REGISSEUR]
    pay(contract, regisseur.user, amount="669,35")
    login(client, regisseur)
    body = client.get(contract.get_absolute_url()).content.decode()
    assert "1\u202f000,00\u00a0€" in body  # balance after the payment
    assert "reçu 2025-00001" in body and "Avis d’échéance" in body
    assert "Encaisser un paiement" in body and "Annuler" in body
    # A social worker reads the account, and records nothing.
    login(client, members_a[Role.SOCIAL_WORKER])
    body = client.get(contract.get_absolute_url()).content.decode()
    assert "1\u202f000,00\u00a0€" in body
    assert "Encaisser un paiement" not in body and ">Annuler<" not in body


def test_contract_page_query_count_is_bounded(
    client, contract, members_a, django_assert_max_num_queries
):
    login(client, members_a[Role.HEAD])
    for _ in range(5):
        pay(contract, members_a[Role.HEAD].user)
    with django_assert_max_num_queries(16):
        assert client.get(contract.get_absolute_url()).status_code == 200


def test_household_account_lists_every_contract(client, contract, members_a, org_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    response = client.get(reverse("tenancy:household_account", args=[contract.household.public_id]))
    body = response.content.decode()
    assert response.status_code == 200 and contract.reference in body
    assert "1\u202f669,35\u00a0€" in body


# --- Payment entry --------------------------------------------------------------------------


def test_payment_search_finds_the_household_by_name_without_accents(client, contract, members_a):
    login(client, members_a[Role.REGISSEUR])
    response = client.get(reverse("tenancy:payment_entry"), {"q": "keita"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert contract.household.reference in body and "<html" not in body
    assert f"?contrat={contract.public_id}" in body


def test_payment_entry_records_and_gives_the_receipt(client, contract, members_a):
    login(client, members_a[Role.REGISSEUR])
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    page = client.get(url).content.decode()
    assert "autofocus" in page and "1\u202f669,35\u00a0€" in page
    response = client.post(url, {"amount": "250,50", "method": "especes", "date": "2025-06-20"},
                           follow=True)  # fmt: skip
    body = response.content.decode()
    entry = LedgerEntry.objects.get(kind=LedgerKind.PAIEMENT)
    assert entry.credit == E("250.50") and entry.number == "2025-00001"
    assert "reçu n° 2025-00001" in body
    assert reverse("tenancy:receipt_pdf", args=[entry.public_id]) in body
    assert contract_balance(contract) == E("1418.85")


def test_the_same_payment_form_posted_twice_records_once(client, contract, members_a):
    login(client, members_a[Role.REGISSEUR])
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    page = client.get(url)
    key = page.context["form"]["submission_key"].value()
    assert f'value="{key}"' in page.content.decode()
    data = {"amount": "100", "method": "especes", "date": "2025-06-20", "submission_key": key}
    first = client.post(url, data)
    second = client.post(url, data, follow=True)  # back, then send again; or a double click
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 1
    assert second.redirect_chain[-1][0] == first.url  # the same receipt
    assert "déjà été envoyé" in second.content.decode()
    # A new form (a new key) records a new payment.
    data["submission_key"] = client.get(url).context["form"]["submission_key"].value()
    client.post(url, data)
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1669,36", "dépasse ce que le ménage doit"), ("2000", "excédent de 330,65")],
)
def test_a_payment_above_the_debt_asks_for_a_confirmation(
    client, contract, members_a, amount, message
):
    login(client, members_a[Role.REGISSEUR])
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    data = {"amount": amount, "method": "virement", "date": "2025-06-20"}
    body = client.post(url, data).content.decode()
    assert message in body and 'name="confirmed"' in body and 'type="checkbox"' in body
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists()
    client.post(url, {**data, "confirmed": "on"})
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 1


def test_a_payment_on_an_account_that_owes_nothing_asks_for_a_confirmation(
    client, contract, members_a
):
    pay(contract, members_a[Role.REGISSEUR].user, amount="1669,35")
    login(client, members_a[Role.REGISSEUR])
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    data = {"amount": "50", "method": "especes", "date": "2025-06-20"}
    body = client.post(url, data).content.decode()
    assert "n’est pas débiteur" in body
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 1
    client.post(url, {**data, "confirmed": "on"})
    assert contract_balance(contract) == E("-50.00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "12,3x", "method": "especes", "date": "2025-06-20"}, "Montant invalide"),
        ({"amount": "-4", "method": "especes", "date": "2025-06-20"}, "positif"),
        ({"amount": "10", "method": "caf", "date": "2025-06-20"}, "Sélectionnez un choix valide"),
        ({"amount": "10", "method": "especes", "date": "2025-07-01"}, "futur"),
        ({"amount": "10", "method": "especes", "date": "31/02/2025"}, "date valide"),
    ],
)
def test_a_bad_payment_shows_a_french_error_and_writes_nothing(
    client, contract, members_a, data, message
):
    login(client, members_a[Role.REGISSEUR])
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert data["amount"] in response.content.decode()  # what was typed is kept
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists()


def test_social_workers_and_admins_record_no_money(client, contract, members_a):
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    for role in (Role.SOCIAL_WORKER, Role.ADMIN):
        login(client, members_a[role])
        assert client.get(url).status_code == 403
        assert client.post(url, {"amount": "10", "method": "especes",
                                 "date": "2025-06-20"}).status_code == 403  # fmt: skip
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).exists()


# --- Cash journal, entries, reversals -------------------------------------------------------


def test_cash_journal_totals_by_method_with_reversals(client, contract, members_a):
    user = members_a[Role.REGISSEUR].user
    pay(contract, user, "100")
    pay(contract, user, "40,50")
    cheque = pay(contract, user, "60", method=PaymentMethod.CHEQUE)
    pay(contract, user, "30", day=D(2025, 6, 19))  # another day
    ledger.entry_reverse(entry=cheque, date=D(2025, 6, 20), reason="Chèque sans provision",
                         by=user)  # fmt: skip
    login(client, members_a[Role.REGISSEUR])
    response = client.get(reverse("tenancy:cash_journal"), {"date": "2025-06-20"})
    by_method = {m.label: m.total for m in response.context["by_method"]}
    assert by_method == {"espèces": E("140.50"), "chèque": E("0.00")}
    assert response.context["total"] == E("140.50")
    assert "annulation du reçu 2025-00003" in response.content.decode()
    login(client, members_a[Role.SOCIAL_WORKER])
    assert client.get(reverse("tenancy:cash_journal")).status_code == 403


def test_reversal_screen_cancels_an_entry(client, contract, members_a):
    entry = pay(contract, members_a[Role.HEAD].user, "100")
    login(client, members_a[Role.HEAD])
    url = reverse("tenancy:entry_reverse", args=[entry.public_id])
    response = client.post(url, {"date": "2025-06-20", "reason": ""})
    assert "obligatoire" in response.content.decode()
    response = client.post(url, {"date": "2025-06-20", "reason": "Erreur de ménage"})
    assert response.status_code == 302
    assert LedgerEntry.objects.get(reverses=entry).debit == E("100.00")
    body = client.get(contract.get_absolute_url()).content.decode()
    assert "annulée" in body and url not in body


@pytest.mark.parametrize(
    ("kind", "delta"),
    [
        ("aide", E("-80")),
        ("regularisation_debit", E("80")),
        ("regularisation_credit", E("-80")),
        ("degradation", E("80")),
    ],
)
def test_other_entries_move_the_balance_the_right_way(client, contract, members_a, kind, delta):
    before = contract_balance(contract)
    login(client, members_a[Role.REGISSEUR])
    response = client.post(
        reverse("tenancy:charge_create", args=[contract.public_id]),
        {"kind": kind, "amount": "80", "date": "2025-06-20", "note": "FSL / régul. 2024"},
    )
    assert response.status_code == 302
    assert contract_balance(contract) == before + delta


# --- Renewal, slide, plans ------------------------------------------------------------------


def test_renewal_beyond_eighteen_months_asks_for_a_justification(client, contract, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("tenancy:contract_renew", args=[contract.public_id])
    assert client.post(url, {"signed_on": "2025-06-20", "months": "6"}).status_code == 302
    assert client.post(url, {"signed_on": "2025-06-20", "months": "6"}).status_code == 302
    response = client.post(url, {"signed_on": "2025-06-20", "months": "6"})
    assert "justification écrite" in response.content.decode()
    justified = {"signed_on": "2025-06-20", "months": "6", "justification": "Relogement en vue"}
    assert client.post(url, justified).status_code == 302
    assert list(Amendment.objects.values_list("beyond_limit", flat=True).order_by("number")) == [
        False, False, True
    ]  # fmt: skip


def test_slide_screen_needs_the_confirmation(client, org_a, dispositif_a, members_a):
    contract = SubleaseContractFactory(
        organisation=org_a, unit__dispositif=dispositif_a, start_date=D(2025, 1, 1),
        towards_sliding_lease=True,
    )  # fmt: skip
    login(client, members_a[Role.REGISSEUR])
    url = reverse("tenancy:contract_slide", args=[contract.public_id])
    assert "Faire glisser le bail" in client.get(contract.get_absolute_url()).content.decode()
    response = client.post(url, {"slide_date": "2025-06-20"})
    assert response.status_code == 200 and "obligatoire" in response.content.decode()
    assert client.post(url, {"slide_date": "2025-06-20", "confirm": "on"}).status_code == 302
    contract.refresh_from_db()
    contract.unit.refresh_from_db()
    assert contract.actual_end_date == D(2025, 6, 20)
    assert contract.unit.return_reason == "glissement_bail"


def test_plan_screens(client, contract, members_a, django_assert_max_num_queries):
    login(client, members_a[Role.REGISSEUR])
    response = client.post(
        reverse("tenancy:plan_create", args=[contract.public_id]),
        {"signed_on": "2025-06-20", "instalment": "400", "first_due_date": "2025-07-10"},
    )
    plan = RepaymentPlan.objects.get()
    assert response.url == reverse("tenancy:plan_detail", args=[plan.public_id])
    body = client.get(response.url).content.decode()
    assert "69,35" in body and "à venir" in body
    with django_assert_max_num_queries(10):
        assert client.get(reverse("tenancy:plan_list")).status_code == 200
    login(client, members_a[Role.SOCIAL_WORKER])
    assert client.get(response.url).status_code == 200
    assert client.post(reverse("tenancy:plan_break", args=[plan.public_id]),
                       {"on": "2025-06-20", "reason": "x"}).status_code == 403  # fmt: skip
    login(client, members_a[Role.HEAD])
    client.post(reverse("tenancy:plan_break", args=[plan.public_id]),
                {"on": "2025-06-20", "reason": "Aucun versement"})  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.ROMPU


def test_plan_list_query_count_does_not_grow(
    client, members_a, org_a, dispositif_a, django_assert_max_num_queries
):
    login(client, members_a[Role.HEAD])
    for n in range(6):
        c = SubleaseContractFactory(organisation=org_a, unit__dispositif=dispositif_a)
        issue_calls_to_date(c)
        plan_create(contract=c, signed_on=D(2025, 6, 20), instalment="100",
                    first_due_date=D(2025, 7, 10), by=members_a[Role.HEAD].user)  # fmt: skip
        if n in (0, 5):
            with django_assert_max_num_queries(10):
                assert client.get(reverse("tenancy:plan_list")).status_code == 200


# --- Roles and isolation --------------------------------------------------------------------

READS = {"contract_list", "contract_detail", "household_account", "plan_list", "plan_detail"}
RENEWALS = {"contract_renew", "contract_slide"}


def objects(contract, user):
    entry = pay(contract, user)
    plan = plan_create(contract=contract, signed_on=D(2025, 6, 20), instalment="500",
                       first_due_date=D(2025, 7, 10), by=user)  # fmt: skip
    return {"contract": contract.public_id, "household": contract.household.public_id,
            "entry": entry.public_id, "plan": plan.public_id}  # fmt: skip


def test_role_matrix_of_every_contract_screen(client, contract, members_a):
    kwargs_of = objects(contract, members_a[Role.HEAD].user)
    for pattern in CONTRACT_PATTERNS:
        url = reverse(f"tenancy:{pattern.name}",
                      kwargs={k: kwargs_of[k] for k in pattern.pattern.converters})  # fmt: skip
        for role in Role:
            login(client, members_a[role])
            status = client.get(url).status_code
            if role == Role.ADMIN:
                expected = 403
            elif pattern.name in READS | RENEWALS:
                expected = 200
            else:
                expected = 403 if role == Role.SOCIAL_WORKER else 200
            assert status == expected, f"{pattern.name} as {role}: {status}"


def test_another_organisation_gets_404_on_every_object(client, contract, members_a, members_b):
    kwargs_of = objects(contract, members_a[Role.HEAD].user)
    login(client, members_b[Role.HEAD])
    for pattern in CONTRACT_PATTERNS:
        if not pattern.pattern.converters:
            continue
        url = reverse(f"tenancy:{pattern.name}",
                      kwargs={k: kwargs_of[k] for k in pattern.pattern.converters})  # fmt: skip
        assert client.get(url).status_code == 404, pattern.name
        assert client.post(url, {"amount": "1", "reason": "x"}).status_code == 404
    url = f"{reverse('tenancy:payment_entry')}?contrat={contract.public_id}"
    assert client.get(url).status_code == 404
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAIEMENT).count() == 1


def test_dashboard_shows_debts_and_todays_takings(client, contract, members_a, org_a):
    SubleaseContractFactory(organisation=org_a, start_date=D(2025, 6, 1))  # no entries
    pay(contract, members_a[Role.REGISSEUR].user, "69,35")
    login(client, members_a[Role.REGISSEUR])
    cards = {card.label: card.value for card in shown(client.get("/"), "counts")}
    assert cards["Ménages en dette"] == 1
    assert cards["Impayés (soldes débiteurs)"] == E("1600.00")
    assert cards["Encaissé aujourd’hui"] == E("69.35")
    login(client, members_a[Role.SOCIAL_WORKER])
    cards = {card.label for card in shown(client.get("/"), "counts")}
    assert "Ménages en dette" in cards and "Encaissé aujourd’hui (€)" not in cards
