"""Tenancy documents (PDF): contract, amendment, rent call notice, receipt, quittance,
statement and cash journal, read back with pypdf; the imputation rule of quittances; who may
download what; another organisation's objects; bounded queries."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from iml.codes import LedgerKind, PaymentMethod, PersonRole
from iml.models import AccessAction, AccessLog, Role
from tenancy import ledger
from tenancy.documents import MonthSettlement, month_settlement, settlement_sums
from tenancy.models import LedgerEntry
from tenancy.services import contract_renew
from tests.households.factories import PersonFactory
from tests.housing.factories import RoomFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal
TODAY = D(2025, 6, 20)
MARCH, APRIL, MAY = D(2025, 3, 1), D(2025, 4, 1), D(2025, 5, 1)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20 10:00:00"):
        yield


@pytest.fixture
def regisseur(members_a):
    return members_a[Role.REGISSEUR]


@pytest.fixture
def contract(running_contract, org_a):
    """The running contract (March prorated 319,35 €, then 450 € a month up to June) of a
    household of two adults and a child."""
    household = running_contract.household
    for first_name, role, born in (
        ("Amina", PersonRole.REFERENT, D(1988, 4, 2)),
        ("Moussa", PersonRole.CONJOINT, D(1985, 1, 9)),
        ("Awa", PersonRole.ENFANT, D(2019, 6, 1)),
    ):
        PersonFactory(organisation=org_a, household=household, first_name=first_name,
                      last_name="Diallo", role=role, birth_date=born)  # fmt: skip
    return running_contract


def call_of(contract, month) -> LedgerEntry:
    return LedgerEntry.objects.get(contract=contract, kind=LedgerKind.APPEL, period=month)


def pay(contract, day, amount, by, method=PaymentMethod.ESPECES, reference=""):
    return ledger.payment_record(contract=contract, date=day, amount=E(amount), method=method,
                                 by=by, reference=reference, confirmed=True)  # fmt: skip


def pdf_text(response) -> str:
    """The PDF's text, spaces normalised (narrow and no-break spaces, line breaks)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def download(client, membership, url, **query):
    client.force_login(membership.user)
    return client.get(url, query)


def filename(response) -> str:
    return re.search(r'attachment; filename="(.+)"', response["Content-Disposition"]).group(1)


# --- Contract and amendment -----------------------------------------------------------------


@pytest.mark.django_db
def test_contract_pdf(client, contract, regisseur):
    response = download(
        client, regisseur, reverse("tenancy:contract_pdf", args=[contract.public_id])
    )
    text = pdf_text(response)
    assert filename(response) == f"contrat-sous-location-{contract.reference}.pdf"
    assert f"Contrat de sous-location n° {contract.reference}" in text
    assert "Association Alpha" in text
    assert contract.household.reference in text
    assert "Amina Diallo, Moussa Diallo" in text  # adults, the reference person first
    assert "Awa" not in text  # children do not sign
    assert f"{contract.unit.address}, 71100 Chalon-sur-Saône" in text
    assert "T2" in text and "Le logement entier" in text
    for needle in ("10/03/2025", "10/09/2025", "400,00 €", "50,00 €", "250,00 €"):
        assert needle in text
    assert "le 5 de chaque mois" in text and "six mois" in text
    assert "Accompagnement social" in text
    assert "bail glissant" not in text
    assert "Pour l’organisme" in text
    assert text.count("« Lu et approuvé », signature") == 2  # one block per adult
    assert re.search(r"\b1 / 2\b|\b1 / 1\b", text)  # page numbers
    log = AccessLog.objects.get(object_id=contract.public_id)
    assert (log.action, log.household_id, log.user) == (
        AccessAction.EXPORT,
        contract.household.public_id,
        regisseur.user,
    )


@pytest.mark.django_db
def test_contract_pdf_of_a_room_towards_a_sliding_lease(client, org_a, dispositif_a, regisseur):
    room = RoomFactory(organisation=org_a, unit__organisation=org_a,
                       unit__dispositif=dispositif_a, label="Chambre bleue")  # fmt: skip
    contract = SubleaseContractFactory(organisation=org_a, unit=room.unit, room=room,
                                       household__dispositif=dispositif_a, deposit=E("380"),
                                       towards_sliding_lease=True)  # fmt: skip
    text = pdf_text(
        download(client, regisseur, reverse("tenancy:contract_pdf", args=[contract.public_id]))
    )
    assert "Chambre bleue" in text and "T3" in text
    assert "en vue d’un bail glissant" in text
    assert "380,00 €" in text


@pytest.mark.django_db
def test_amendment_pdf_flags_a_stay_beyond_eighteen_months(client, contract, regisseur):
    by = regisseur.user
    first = contract_renew(contract=contract, signed_on=D(2025, 8, 20), by=by)
    contract_renew(contract=contract, signed_on=D(2026, 2, 20), by=by)
    reason = "Relogement OPAC attribué, entrée prévue en décembre."
    third = contract_renew(contract=contract, signed_on=D(2026, 8, 20), by=by,
                           justification=reason)  # fmt: skip

    response = download(client, regisseur, reverse("tenancy:amendment_pdf", args=[first.public_id]))
    text = pdf_text(response)
    assert filename(response) == f"avenant-1-contrat-{contract.reference}.pdf"
    assert f"Avenant n° 1 au contrat de sous-location n° {contract.reference}" in text
    assert "signé le 20/08/2025" in text
    assert "10/09/2025" in text and "10/03/2026" in text  # previous and new end
    assert "Au-delà de 18 mois" not in text

    text = pdf_text(
        download(client, regisseur, reverse("tenancy:amendment_pdf", args=[third.public_id]))
    )
    assert "Avenant n° 3" in text
    assert "Au-delà de 18 mois" in text
    assert reason in text
    assert "10/09/2026" in text and "10/03/2027" in text
    assert "24 mois depuis l’entrée du 10/03/2025" in text


# --- Rent call notice -----------------------------------------------------------------------


@pytest.mark.django_db
def test_rent_call_of_a_prorated_first_month(client, contract, regisseur):
    call = call_of(contract, MARCH)
    response = download(client, regisseur, reverse("tenancy:rent_call_pdf", args=[call.public_id]))
    text = pdf_text(response)
    assert filename(response) == f"avis-echeance-{contract.reference}-2025-03.pdf"
    assert "Avis d’échéance — mars 2025" in text
    assert "22 jours sur 31" in text
    assert "Loyer 283,87 €" in text
    assert "Charges 35,48 €" in text
    assert "Total de l’échéance 319,35 €" in text
    # CAF: 250 € prorated 22/31 = 177,42 €; the household's share 141,93 €.
    assert "177,42 €" in text
    assert "Part résiduelle à la charge du ménage 141,93 €" in text
    assert "Solde antérieur au 10/03/2025 0,00 €" in text
    assert "Total à régler par le ménage 141,93 €" in text
    assert "Amina Diallo" in text


@pytest.mark.django_db
def test_rent_call_with_a_previous_balance(client, contract, regisseur):
    pay(contract, D(2025, 3, 20), "100", regisseur.user)
    call = call_of(contract, APRIL)
    text = pdf_text(
        download(client, regisseur, reverse("tenancy:rent_call_pdf", args=[call.public_id]))
    )
    assert "Total de l’échéance 450,00 €" in text
    assert "Part résiduelle à la charge du ménage 200,00 €" in text
    assert "Solde antérieur au 01/04/2025 (restant dû) 219,35 €" in text  # 319,35 - 100
    assert "Total à régler par le ménage 419,35 €" in text
    assert "à régler au plus tard le 05/04/2025" in text


@pytest.mark.django_db
def test_entries_of_the_wrong_kind_are_not_found(client, contract, regisseur):
    payment = pay(contract, D(2025, 4, 3), "100", regisseur.user)
    call = call_of(contract, APRIL)
    client.force_login(regisseur.user)
    assert client.get(reverse("tenancy:rent_call_pdf", args=[payment.public_id])).status_code == 404
    assert client.get(reverse("tenancy:receipt_pdf", args=[call.public_id])).status_code == 404


# --- Receipt --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_receipt_pdf(client, contract, regisseur):
    regisseur.user.first_name, regisseur.user.last_name = "Paul", "Martin"
    regisseur.user.save()
    payment = pay(contract, D(2025, 4, 3), "200", regisseur.user, method=PaymentMethod.CHEQUE,
                  reference="Chèque 0012345")  # fmt: skip
    response = download(client, regisseur, reverse("tenancy:receipt_pdf", args=[payment.public_id]))
    text = pdf_text(response)
    assert payment.number == "2025-00001"
    assert filename(response) == "recu-paiement-2025-00001.pdf"
    assert "Reçu de paiement n° 2025-00001" in text
    assert "03/04/2025" in text
    assert "Montant reçu 200,00 €" in text
    assert "Chèque" in text and "Chèque 0012345" in text
    assert "Reçu par Paul Martin" in text
    assert contract.reference in text and contract.household.reference in text
    # 319,35 + 450 (April) - 200, not counting May and June, called later.
    assert "Solde du compte après ce paiement 569,35 €" in text
    assert "Annulé" not in text

    ledger.entry_reverse(entry=payment, date=D(2025, 4, 4), reason="Chèque sans provision",
                         by=regisseur.user)  # fmt: skip
    text = pdf_text(
        download(client, regisseur, reverse("tenancy:receipt_pdf", args=[payment.public_id]))
    )
    assert "Annulé le 04/04/2025" in text and "Chèque sans provision" in text


# --- Quittance and the imputation rule ------------------------------------------------------


def test_month_settlement_rule():
    # Everything owed up to the month's end is covered: the month is paid.
    paid = MonthSettlement(called=E("450"), debts=E("769.35"), credits=E("769.35"))
    assert paid.fully_paid and paid.remaining == 0 and paid.paid == E("450")
    # Payments go to the oldest debt first: March is settled, April only in part.
    part = MonthSettlement(called=E("450"), debts=E("769.35"), credits=E("619.35"))
    assert not part.fully_paid and part.remaining == E("150") and part.paid == E("300")
    # Older debts absorb everything: nothing of the month is paid.
    none = MonthSettlement(called=E("450"), debts=E("1219.35"), credits=E("100"))
    assert none.remaining == E("450") and none.paid == 0
    # A credit balance pays ahead.
    ahead = MonthSettlement(called=E("450"), debts=E("450"), credits=E("900"))
    assert ahead.fully_paid and ahead.remaining == 0


@pytest.mark.django_db
def test_settlement_sums_in_sql_with_reversals(contract, regisseur):
    by = regisseur.user
    pay(contract, D(2025, 3, 20), "141.93", by)
    ledger.caf_confirm(month=MARCH, received={contract: E("177.42")}, date=D(2025, 4, 5), by=by)
    settlement, caf = month_settlement(contract, call_of(contract, MARCH), TODAY)
    assert (settlement.debts, settlement.credits, caf) == (E("319.35"), E("319.35"), E("177.42"))
    assert settlement.fully_paid

    # A payment reversed later is no longer received, whatever the reversal's date.
    bounced = pay(contract, D(2025, 4, 10), "450", by)
    assert month_settlement(contract, call_of(contract, APRIL), TODAY)[0].fully_paid
    ledger.entry_reverse(entry=bounced, date=D(2025, 6, 2), reason="Rejet", by=by)
    april = month_settlement(contract, call_of(contract, APRIL), TODAY)[0]
    assert not april.fully_paid and april.remaining == E("450")

    # A reversed debit of the month is no longer owed.
    damage = ledger.charge_record(contract=contract, date=D(2025, 3, 25), kind="degradation",
                                  amount=E("60"), by=by, note="Vitre")  # fmt: skip
    assert not month_settlement(contract, call_of(contract, MARCH), TODAY)[0].fully_paid
    ledger.entry_reverse(entry=damage, date=D(2025, 6, 3), reason="Erreur", by=by)
    sums = settlement_sums(contract, MARCH, TODAY)
    assert (sums["debts"], sums["credits"]) == (E("319.35"), E("319.35"))


@pytest.fixture
def march_paid(contract, regisseur):
    """March is paid (household 141,93 € + CAF 177,42 €); April 300 € of 450 €."""
    by = regisseur.user
    pay(contract, D(2025, 3, 20), "141.93", by)
    ledger.caf_confirm(month=MARCH, received={contract: E("177.42")}, date=D(2025, 4, 5), by=by)
    pay(contract, D(2025, 4, 12), "300", by)
    return contract


@pytest.mark.django_db
def test_quittance_of_a_paid_month(client, march_paid, regisseur):
    url = reverse("tenancy:quittance_pdf", args=[march_paid.public_id])
    response = download(client, regisseur, url, mois="2025-03")
    text = pdf_text(response)
    assert filename(response) == f"quittance-loyer-{march_paid.reference}-2025-03.pdf"
    assert "Quittance de loyer — mars 2025" in text
    assert "ne vaut pas quittance" not in text
    assert "Loyer 283,87 €" in text and "Charges 35,48 €" in text
    assert "Total appelé 319,35 €" in text
    assert "Aide au logement versée par la CAF pour ce mois 177,42 €" in text
    assert "Part résiduelle à la charge du ménage 141,93 €" in text
    assert "Montant reçu pour ce mois 319,35 €" in text
    assert "déclare avoir reçu du ménage" in text and "en donne quittance" in text
    assert "charges (35,48 €) de mars 2025" in text


@pytest.mark.django_db
def test_partial_receipt_of_a_month_not_fully_paid(client, march_paid, regisseur):
    url = reverse("tenancy:quittance_pdf", args=[march_paid.public_id])
    response = download(client, regisseur, url, mois="2025-04")
    text = pdf_text(response)
    assert filename(response) == f"recu-partiel-loyer-{march_paid.reference}-2025-04.pdf"
    assert "Reçu partiel — ce document ne vaut pas quittance" in text
    assert "Quittance de loyer" not in text
    assert "Loyer et charges d’avril 2025" in text
    assert "Total appelé 450,00 €" in text
    assert "Aide au logement versée par la CAF pour ce mois 0,00 €" in text
    assert "Montant reçu pour ce mois 300,00 €" in text
    assert "Reste dû pour ce mois 150,00 €" in text

    # Paying the rest turns it into a quittance.
    pay(march_paid, D(2025, 6, 20), "150", regisseur.user)
    text = pdf_text(client.get(url, {"mois": "2025-04"}))
    assert "Quittance de loyer — avril 2025" in text


@pytest.mark.django_db
def test_quittance_needs_a_month_with_a_rent_call(client, contract, regisseur):
    url = reverse("tenancy:quittance_pdf", args=[contract.public_id])
    client.force_login(regisseur.user)
    for query in ({}, {"mois": "2025-13"}, {"mois": "mars"}):
        response = client.get(url, query)
        assert response.status_code == 400
        assert "AAAA-MM" in response.content.decode()
    assert client.get(url, {"mois": "2025-01"}).status_code == 404  # before the contract
    assert client.get(url, {"mois": "2025-07"}).status_code == 404  # not called yet


# --- Statement ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_statement_opening_and_closing_balances(client, march_paid, regisseur):
    by = regisseur.user
    bounced = pay(march_paid, D(2025, 5, 2), "50", by, method=PaymentMethod.CHEQUE)
    ledger.entry_reverse(entry=bounced, date=D(2025, 5, 9), reason="Chèque rejeté", by=by)
    url = reverse("tenancy:statement_pdf", args=[march_paid.public_id])
    response = download(client, regisseur, url, du="2025-04-01", au="2025-05-31")
    text = pdf_text(response)
    assert filename(response) == f"releve-compte-{march_paid.reference}-20250401-20250531.pdf"
    assert "Du 01/04/2025 au 31/05/2025" in text
    # Opening at 31/03: 319,35 - 141,93 = 177,42.
    assert "Solde d’ouverture (au 31/03/2025) 177,42 €" in text
    assert "01/04/2025 Appel de loyer et charges 04/2025 450,00 € 627,42 €" in text
    assert "05/04/2025 Aide au logement (CAF)" in text and "177,42 € 450,00 €" in text
    assert "12/04/2025 Paiement (espèces), reçu n° 2025-00002 300,00 € 150,00 €" in text
    assert "annulée le 09/05/2025" in text
    assert "Annulation : paiement du ménage n° 2025-00003 du 02/05/2025" in text
    assert "Chèque rejeté" in text
    # 177,42 + 450 - 177,42 - 300 + 450 - 50 + 50 = 600,00.
    assert "Total de la période 950,00 € 527,42 €" in text
    assert "Solde de clôture au 31/05/2025 (restant dû) 600,00 €" in text
    assert "30/06" not in text and "01/06/2025" not in text


@pytest.mark.django_db
def test_statement_by_default_from_the_start_to_today(client, contract, regisseur):
    url = reverse("tenancy:statement_pdf", args=[contract.public_id])
    text = pdf_text(download(client, regisseur, url))
    assert "Du 10/03/2025 au 20/06/2025" in text
    assert "Solde d’ouverture (au 09/03/2025) 0,00 €" in text
    assert "Solde de clôture au 20/06/2025 (restant dû) 1 669,35 €" in text
    for query in ({"du": "2025-02-30"}, {"au": "demain"}, {"du": "2025-06-01", "au": "2025-05-01"}):
        assert client.get(url, query).status_code == 400


@pytest.mark.django_db
def test_statement_queries_do_not_grow_with_entries(
    client, contract, regisseur, django_assert_max_num_queries
):
    url = reverse("tenancy:statement_pdf", args=[contract.public_id])
    client.force_login(regisseur.user)
    client.get(url)  # warm-up (session, templates)
    with django_assert_max_num_queries(12):
        pdf_text(client.get(url))
    for day in range(1, 20):
        pay(contract, D(2025, 5, day), "10", regisseur.user)
    with django_assert_max_num_queries(12):
        text = pdf_text(client.get(url))
    assert "Solde de clôture au 20/06/2025 (restant dû) 1 479,35 €" in text


# --- Cash journal ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_cash_journal_totals_by_method(client, contract, org_a, dispositif_a, regisseur):
    by = regisseur.user
    other = SubleaseContractFactory(
        organisation=org_a,
        unit__dispositif=dispositif_a,
        household__reference="MENAGE-B2",
        start_date=D(2025, 2, 1),
    )
    earlier = pay(contract, D(2025, 4, 2), "80", by, method=PaymentMethod.VIREMENT)
    day = D(2025, 4, 3)
    first = pay(contract, day, "100", by)
    pay(other, day, "50", by)
    pay(other, day, "200", by, method=PaymentMethod.CHEQUE, reference="Chèque 77")
    ledger.entry_reverse(entry=earlier, date=day, reason="Virement rejeté", by=by)
    pay(contract, D(2025, 4, 4), "999", by)  # another day

    response = download(client, regisseur, reverse("tenancy:cash_journal_pdf"), date="2025-04-03")
    text = pdf_text(response)
    assert filename(response) == "journal-de-caisse-2025-04-03.pdf"
    assert "Journal de caisse du 03/04/2025" in text
    assert "Sous-total espèces (2 opérations) 150,00 €" in text
    assert "Sous-total virement (1 opération) -80,00 €" in text
    assert "Sous-total chèque (1 opération) 200,00 €" in text
    assert "Total général du jour (4 opérations) 270,00 €" in text
    assert first.number in text and earlier.number in text and "(annulation)" in text
    assert contract.household.reference in text and "MENAGE-B2" in text
    assert "Chèque 77" in text
    assert "999,00" not in text


@pytest.mark.django_db
def test_cash_journal_defaults_to_today_and_refuses_a_bad_date(client, contract, regisseur):
    pay(contract, TODAY, "42", regisseur.user)
    url = reverse("tenancy:cash_journal_pdf")
    text = pdf_text(download(client, regisseur, url))
    assert "Journal de caisse du 20/06/2025" in text
    assert "Total général du jour (1 opération) 42,00 €" in text
    response = client.get(url, {"date": "20/13/2025"})
    assert response.status_code == 400 and "invalide" in response.content.decode()
    text = pdf_text(client.get(url, {"date": "2025-01-01"}))
    assert "Aucun paiement enregistré le 01/01/2025" in text


# --- Permissions and isolation --------------------------------------------------------------


@pytest.fixture
def document_urls(contract, regisseur):
    payment = pay(contract, D(2025, 4, 3), "100", regisseur.user)
    amendment = contract_renew(contract=contract, signed_on=D(2025, 8, 20), by=regisseur.user)
    return {
        "contract_pdf": (reverse("tenancy:contract_pdf", args=[contract.public_id]), {}),
        "amendment_pdf": (reverse("tenancy:amendment_pdf", args=[amendment.public_id]), {}),
        "rent_call_pdf": (
            reverse("tenancy:rent_call_pdf", args=[call_of(contract, MARCH).public_id]),
            {},
        ),
        "receipt_pdf": (reverse("tenancy:receipt_pdf", args=[payment.public_id]), {}),
        "quittance_pdf": (
            reverse("tenancy:quittance_pdf", args=[contract.public_id]),
            {"mois": "2025-03"},
        ),
        "statement_pdf": (reverse("tenancy:statement_pdf", args=[contract.public_id]), {}),
        "cash_journal_pdf": (reverse("tenancy:cash_journal_pdf"), {"date": "2025-04-03"}),
    }


def test_every_document_url_is_covered():
    from tenancy import urls
    from tenancy.views import documents

    patterns = [p for p in urls.urlpatterns if p.callback.__module__ == documents.__name__]
    assert {p.name for p in patterns} == {
        "contract_pdf", "amendment_pdf", "rent_call_pdf", "receipt_pdf", "quittance_pdf",
        "statement_pdf", "cash_journal_pdf",
    }  # fmt: skip


@pytest.mark.django_db
def test_role_matrix(client, members_a, document_urls):
    for name, (url, query) in document_urls.items():
        for role in Role:
            client.force_login(members_a[role].user)
            response = client.get(url, query)
            if role == Role.ADMIN or (role == Role.SOCIAL_WORKER and name == "cash_journal_pdf"):
                expected = 403
            else:
                expected = 200
            assert response.status_code == expected, f"{name} as {role}: {response.status_code}"
            if expected == 200:
                assert response["Content-Type"] == "application/pdf"
                assert response["Content-Disposition"].startswith('attachment; filename="')


@pytest.mark.django_db
def test_another_organisation_gets_404_on_every_object(client, members_b, document_urls):
    for name, (url, query) in document_urls.items():
        if name == "cash_journal_pdf":
            continue
        for role in (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD):
            client.force_login(members_b[role].user)
            assert client.get(url, query).status_code == 404, f"{name} as {role} of B"


@pytest.mark.django_db
def test_the_cash_journal_of_another_organisation_shows_nothing_of_a(
    client, members_b, document_urls
):
    url, query = document_urls["cash_journal_pdf"]
    text = pdf_text(download(client, members_b[Role.REGISSEUR], url, **query))
    assert "Association Bêta" in text
    assert "Aucun paiement enregistré le 03/04/2025" in text
    assert "Alpha" not in text


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client, document_urls):
    for url, query in document_urls.values():
        response = client.get(url, query)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
