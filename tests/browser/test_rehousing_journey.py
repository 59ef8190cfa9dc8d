"""The road out, in a browser: a proposal arrives, the commission attributes it, the household
accepts, and the exit is recorded from it, pre-filled."""

from __future__ import annotations

import datetime

import pytest

from iml.rls import organisation_transaction
from rehousing.models import Proposal

pytestmark = pytest.mark.browser


def test_a_proposal_accepted_becomes_the_exit(audit_journey, world):
    j, page = audit_journey, audit_journey.page
    keita, today = world["keita"], world["today"]
    j.login("social_worker@alpha.example")
    j.goto(keita.get_absolute_url())
    with page.expect_navigation():
        page.click("a:has-text('Noter une proposition')")
    page.fill("input[name=landlord]", "OPAC de la Somme")
    page.fill("input[name=address]", "14 rue des Tilleuls")
    page.fill("input[name=city]", "Amiens")
    page.select_option("select[name=typology]", "t3")
    page.fill("input[name=rent]", "512,40")
    page.fill("input[name=received_on]", f"{today - datetime.timedelta(days=20):%Y-%m-%d}")
    assert j.accessibility_violations() == []
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Proposition de logement enregistrée" in page.inner_text("main")
    j.shot("proposition recue")
    # The commission attributes it, the household accepts, it moves in tomorrow… today.
    with page.expect_navigation():
        page.click("section#relogement a:has-text('OPAC de la Somme')")
    page.fill("input[name=cal_on]", f"{today - datetime.timedelta(days=5):%Y-%m-%d}")
    page.select_option("select[name=cal_decision]", "attribuee")
    page.select_option("select[name=answer]", "acceptee")
    page.fill("input[name=move_in_on]", f"{today:%Y-%m-%d}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "la sortie du ménage est pré-remplie" in page.inner_text("main")
    with page.expect_navigation():
        page.click("section#relogement a:has-text('enregistrer la sortie')")
    assert "Proposition acceptée : T3 OPAC de la Somme" in page.inner_text("main")
    assert page.input_value("select[name=destination]") == "logement_social"
    assert page.input_value("input[name=exit_date]") == f"{today:%Y-%m-%d}"
    j.shot("sortie pre-remplie")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Sortie du ménage M-KEITA enregistrée" in page.inner_text("main")
    with organisation_transaction(world["org"]):
        keita.refresh_from_db()
        assert (keita.exit_date, keita.exit_destination) == (today, "logement_social")
        assert Proposal.objects.get().accepted
    assert j.console_errors == []


def test_the_regisseur_dates_the_steps_of_a_sliding_lease(audit_journey, world):
    from tests.tenancy.factories import SubleaseContractFactory

    j, page, today = audit_journey, audit_journey.page, world["today"]
    with organisation_transaction(world["org"]):
        contract = SubleaseContractFactory(
            organisation=world["org"], unit__dispositif=world["keita"].dispositif,
            household__dispositif=world["keita"].dispositif, reference="C-GLISSANT",
            start_date=today - datetime.timedelta(days=200), towards_sliding_lease=True,
        )  # fmt: skip
    j.login("regisseur@alpha.example")
    j.goto(contract.get_absolute_url())
    with page.expect_navigation():
        page.click("section#glissement a:has-text('Envisager le glissement')")
    page.fill("input[name=owner_consent_on]", f"{today - datetime.timedelta(days=3):%Y-%m-%d}")
    assert j.accessibility_violations() == []
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "Glissement envisagé enregistré" in page.inner_text("main")
    steps = page.inner_text("section#glissement")
    assert f"Accord du propriétaire — le {today - datetime.timedelta(days=3):%d/%m/%Y}" in steps
    assert "Convention tripartite signée — à signer" in steps
    assert j.accessibility_violations() == []
    j.shot("glissement envisage")
    assert j.console_errors == []
