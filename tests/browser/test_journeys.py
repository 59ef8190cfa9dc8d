"""What people actually do, in a real browser: a social worker logs a home visit from a phone;
a régisseur records a cash payment by keyboard and downloads its receipt; an overlapping
contract is refused; another organisation's URL is a 404; a head logs in with two factors.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from iml.formats import euros
from iml.models import Role
from iml.rls import organisation_transaction
from support.models import Interaction
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.money import contract_balance
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.browser


def test_social_worker_logs_a_home_visit_from_a_phone(phone_journey, world):
    j, page = phone_journey, phone_journey.page
    j.login("social_worker@alpha.example")
    j.goto("/accompagnement/mes-menages/")
    j.no_horizontal_scroll()
    # The navigation folds behind « Menu » on a phone: one row, not five.
    assert page.evaluate("document.querySelector('.site-header').offsetHeight") < 100
    assert not page.is_visible("#menu-principal a:has-text('Ménages')")
    page.click("button.nav-toggle")
    assert page.is_visible("#menu-principal a:has-text('Ménages')")
    assert page.get_attribute("button.nav-toggle", "aria-expanded") == "true"
    page.click("button.nav-toggle")
    j.shot("mes menages")
    page.click("a:has-text('Noter un échange')")
    page.wait_for_selector("h1:has-text('Noter un échange')")
    j.no_horizontal_scroll()
    assert page.input_value("select[name=kind]") == "visite_domicile"  # the frequent case
    page.click("label:has-text('budget')")
    page.click("label:has-text('français')")
    # The frequent case fits one 812 px screen, header and save button included; the rest is
    # one tap away.
    submit = "main form button[type=submit]"
    bottom = f"document.querySelector('{submit}').getBoundingClientRect().bottom"
    assert page.evaluate(bottom) < 812
    j.shot("formulaire court")
    page.click("summary:has-text('Type, date')")
    page.select_option("select[name=duration_minutes]", "60")
    page.fill(
        "textarea[name=notes]", "Budget du mois revu avec Amina ; inscription au cours de français."
    )
    appointment = world["today"] + datetime.timedelta(days=7)
    page.fill("input[name=next_appointment]", f"{appointment:%Y-%m-%d}T10:30")
    j.shot("formulaire rempli")
    with page.expect_navigation():
        page.click("button:has-text('Enregistrer l’échange')")
    assert "Échange enregistré" in page.content()
    j.shot("retour a mes menages")
    with organisation_transaction(world["org"]):
        visit = Interaction.objects.get()
        assert sorted(visit.domains) == ["budget", "langue"] and visit.duration_minutes == 60
    page.click("a:has-text('Historique')")
    page.wait_for_selector("h1:has-text('Historique')")
    body = page.inner_text("main")
    assert "Visite à domicile" in body and "inscription au cours de français" in body
    assert f"{appointment:%d/%m/%Y} à 10:30" in body
    j.no_horizontal_scroll()
    j.shot("historique")
    # A typo in the notes: its author corrects it, from the same phone.
    with page.expect_navigation():
        page.click("a:has-text('Corriger ou supprimer')")
    j.no_horizontal_scroll()
    page.fill(
        "textarea[name=notes]", "Budget du mois revu avec Amina ; inscrite au cours de français."
    )
    with page.expect_navigation():
        page.click("button:has-text('Enregistrer la correction')")
    assert "corrigé" in page.inner_text("main")
    body = page.inner_text("main")
    assert "inscrite au cours de français" in body and "inscription au cours" not in body
    j.shot("echange corrige")
    with organisation_transaction(world["org"]):
        assert Interaction.objects.get().notes.endswith("inscrite au cours de français.")
    assert j.console_errors == []


def test_regisseur_records_a_cash_payment_by_keyboard(journey, world):
    j, page = journey, journey.page
    contract = world["contract"]
    with organisation_transaction(world["org"]):
        before = contract_balance(contract)
    j.login("regisseur@alpha.example")
    j.goto("/location/encaissement/")
    page.keyboard.type("keita")  # the search field has the focus; accents do not matter
    page.wait_for_selector("#payment-results a")
    j.shot("recherche")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "amount"
    page.keyboard.type("123,45")  # cash is the first method; today is the default date
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "123,45" in page.inner_text("main")
    j.shot("paiement enregistre")
    with page.expect_download() as download:
        page.click("a:has-text('Télécharger le reçu')")
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "123,45" in text and "M-KEITA" in text
    with organisation_transaction(world["org"]):
        payment = LedgerEntry.objects.get(kind="paiement")
        assert payment.method == "especes" and payment.credit == Decimal("123.45")
        assert contract_balance(contract) == before - Decimal("123.45")
    j.goto(contract.get_absolute_url())
    assert euros(before - Decimal("123.45")) in page.inner_text("main")
    j.shot("solde du contrat")


def test_a_payment_above_the_debt_is_confirmed_and_sent_twice_records_once(audit_journey, world):
    j, page = audit_journey, audit_journey.page
    contract = world["contract"]
    with organisation_transaction(world["org"]):
        owed = contract_balance(contract)
    j.login("regisseur@alpha.example")
    j.goto(f"/location/encaissement/?contrat={contract.public_id}")
    page.fill("input[name=amount]", "5000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "dépasse ce que le ménage doit" in page.inner_text("main")
    assert j.accessibility_violations() == []
    j.shot("confirmation demandee")
    with organisation_transaction(world["org"]):
        assert not LedgerEntry.objects.filter(kind="paiement").exists()
    page.check("input[name=confirmed]")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "reçu n°" in page.inner_text("main")
    # Back to the filled form, and sent again: the first receipt, nothing more.
    page.go_back()
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "déjà été envoyé" in page.inner_text("main")
    with organisation_transaction(world["org"]):
        assert LedgerEntry.objects.filter(kind="paiement").count() == 1
        assert contract_balance(contract) == owed - Decimal("5000")


def test_an_overlapping_contract_is_refused_in_french(journey, world):
    j, page = journey, journey.page
    j.login("regisseur@alpha.example")
    j.goto(world["waiting"].get_absolute_url())
    with page.expect_navigation():
        page.click("a:has-text('Enregistrer l’entrée')")
    # The second room is free today, but another household moves in there in ten days.
    room = page.eval_on_selector(
        "select[name=space]", "s => [...s.options].find(o => o.text.includes('Chambre 2')).value"
    )
    page.select_option("select[name=space]", room)
    # Filled from what the room's household signs (400 € + 50 €, 250 € of housing benefit).
    assert page.input_value("input[name=rent]") == "400,00"
    assert page.input_value("input[name=charges]") == "50,00"
    assert page.input_value("input[name=expected_housing_benefit]") == "250,00"
    page.fill("input[name=rent]", "300")
    j.shot("entree")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "déjà sous-loué" in page.inner_text("main")
    j.shot("refus")
    with organisation_transaction(world["org"]):
        assert SubleaseContract.objects.count() == 2
        world["waiting"].refresh_from_db()
        assert world["waiting"].entry_date is None


def test_another_organisation_gets_a_404_page(journey, world):
    j, page = journey, journey.page
    other = OrganisationFactory(name="Association Bêta", slug="beta")
    MembershipFactory(organisation=other, role=Role.SOCIAL_WORKER,
                      user__email="ts@beta.example")  # fmt: skip
    j.login("ts@beta.example")
    for path in (world["keita"].get_absolute_url(), world["contract"].get_absolute_url()):
        response = j.goto(path)
        assert response.status == 404
        body = page.inner_text("body")
        assert "M-KEITA" not in body and "Keïta" not in body
        assert "introuvable" in body.lower() or "n’existe pas" in body
    j.shot("404")


@pytest.mark.real_two_factor
def test_head_logs_in_with_two_factors(journey, world):
    j, page = journey, journey.page
    head = world["members"][Role.HEAD].user
    j.login(head.email)
    assert "/securite/activation/" in page.url  # a head must set the second factor up
    j.shot("activation")
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    j.shot("codes de secours")
    j.goto("/")
    assert "Tableau de bord" in page.inner_text("main")
    page.context.clear_cookies()
    j.login(head.email)
    assert "/securite/verification/" in page.url
    device.refresh_from_db()
    # The next time step's code (the one just used is refused as a replay), in the device's
    # clock: a first code accepted across a step boundary leaves the device a drift of -1.
    ahead = device.t0 - device.step * (1 + device.drift)
    page.fill("input[name=token]", f"{totp(device.bin_key, t0=ahead):06d}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Tableau de bord" in page.inner_text("main")
    j.shot("tableau de bord")


def test_an_exit_recorded_by_mistake_is_cancelled_and_a_list_sorted_and_exported(
    audit_journey, world
):
    j, page = audit_journey, audit_journey.page
    keita = world["keita"]
    j.login("social_worker@alpha.example")
    j.goto(keita.get_absolute_url())
    # The exit sits with the household's path, away from the everyday actions.
    assert not page.is_visible(".page-head a:has-text('Enregistrer la sortie')")
    with page.expect_navigation():
        page.click("a:has-text('Enregistrer la sortie')")
    # No destination chosen: refused in French, nothing recorded.
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Choisissez la destination" in page.inner_text("main")
    page.select_option("select[name=destination]", "logement_social")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Sortie du ménage M-KEITA enregistrée" in page.inner_text("main")
    j.shot("sortie enregistree")
    with page.expect_navigation():
        page.click("a:has-text('Annuler la sortie')")
    page.fill("textarea[name=reason]", "Saisie sur le mauvais ménage")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Sortie annulée" in page.inner_text("main")
    assert j.accessibility_violations() == []
    j.shot("sortie annulee")
    with organisation_transaction(world["org"]):
        keita.refresh_from_db()
        assert keita.exit_date is None
        assert SubleaseContract.objects.get(pk=world["contract"].pk).actual_end_date is None
    # The household list, sorted by name, then downloaded as the filters show it.
    j.goto("/menages/")
    with page.expect_navigation():
        page.click("th a:has-text('Personne de référence')")
    assert page.get_attribute("th[aria-sort]", "aria-sort") == "ascending"
    with page.expect_download() as download:
        page.click("a:has-text('CSV')")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Référence;Personne de référence")
    assert "M-KEITA" in text
    j.shot("liste triee")
