"""A month's bank reconciliation at the keyboard: the régisseur opens the lines the statement
brought, presses Enter to accept the first proposals one after the other, splits a transfer
between two households, and the households' balances follow."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from banking.matching import match_lines
from iml.codes import PersonRole
from iml.rls import organisation_transaction
from tenancy.calls import issue_calls_to_date
from tenancy.money import contract_balance
from tests.banking.factories import BankLineFactory, BankStatementFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory
from tests.tenancy.factories import SubleaseContractFactory

pytestmark = pytest.mark.browser


def _household(org, dispositif, first: str, last: str, reference: str, entry: datetime.date):
    home = HouseholdFactory(organisation=org, dispositif=dispositif, reference=f"M-{last.upper()}",
                            orientation_date=entry - relativedelta(months=1),
                            entry_date=entry)  # fmt: skip
    PersonFactory(organisation=org, household=home, first_name=first, last_name=last,
                  role=PersonRole.REFERENT)  # fmt: skip
    contract = SubleaseContractFactory(
        organisation=org, household=home, reference=reference, start_date=entry,
        unit=HousingUnitFactory(organisation=org, dispositif=dispositif),
    )  # fmt: skip
    issue_calls_to_date(contract)
    return contract


def test_a_month_reconciled_at_the_keyboard(audit_journey, world):
    j, page = audit_journey, audit_journey.page
    org, today, keita = world["org"], world["today"], world["contract"]
    entry = today - relativedelta(months=2)
    regisseur = world["members"]["regisseur"].user
    with organisation_transaction(org):
        dispositif = keita.household.dispositif
        diallo = _household(org, dispositif, "Aminata", "Diallo", "C-DIALLO", entry)
        traore = _household(org, dispositif, "Sékou", "Traoré", "C-TRAORE", entry)
        statement = BankStatementFactory(organisation=org, account__organisation=org,
                                         file_name="releve-du-mois.xml")  # fmt: skip
        lines = [
            BankLineFactory(
                statement=statement,
                booked_on=today - datetime.timedelta(days=d),
                label=label,
                amount=Decimal(amount),
            )
            for d, label, amount in [
                (6, "VIR SEPA M KEITA AMINA LOYER", "150.00"),
                (5, "VIR DIALLO AMINATA", "200.00"),
                (4, "VIR ASSOCIATION ENTRAIDE POUR DIALLO ET TRAORE", "300.00"),
            ]
        ]
        counts = match_lines(lines, by=regisseur)
        assert (counts.proposed, counts.suspense) == (3, 0)
        before = {c.pk: contract_balance(c) for c in (keita, diallo, traore)}

    j.login("regisseur@alpha.example")
    assert j.goto("/banque/rapprochement/").status == 200
    assert j.accessibility_violations() == []
    j.shot("lignes a confirmer")
    # The first line has the focus; the arrows move from line to line.
    focused = "document.activeElement.closest('tr').querySelector('td[data-label=Libellé]')"
    assert "KEITA AMINA" in page.evaluate(f"{focused}.innerText")
    page.keyboard.press("ArrowDown")
    assert "DIALLO AMINATA" in page.evaluate(f"{focused}.innerText")
    page.keyboard.press("ArrowUp")
    assert "KEITA AMINA" in page.evaluate(f"{focused}.innerText")

    # Enter accepts the first proposal; the next line then has the focus.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 ligne rapprochée" in page.inner_text("main")
    assert "DIALLO AMINATA" in page.evaluate(f"{focused}.innerText")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 ligne rapprochée" in page.inner_text("main")
    j.shot("deux lignes acceptees")

    # The association's transfer is split between the two households.
    with page.expect_navigation():
        page.click("tr:has-text('ENTRAIDE') a:has-text('Répartir ou écarter')")
    assert j.accessibility_violations() == []
    page.select_option("select[name=contract_1]", label="Diallo Aminata — contrat C-DIALLO")
    page.fill("input[name=amount_1]", "100")
    page.select_option("select[name=contract_2]", label="Traoré Sékou — contrat C-TRAORE")
    page.fill("input[name=amount_2]", "200")
    j.shot("repartition")
    with page.expect_navigation():
        page.click("button:has-text('Enregistrer au compte des ménages')")
    assert "2 écriture(s) enregistrée(s)" in page.inner_text("main")
    assert "Aucune ligne à confirmer" in page.inner_text("main")

    with organisation_transaction(org):
        assert contract_balance(keita) == before[keita.pk] - Decimal("150.00")
        assert contract_balance(diallo) == before[diallo.pk] - Decimal("300.00")  # 200 + 100
        assert contract_balance(traore) == before[traore.pk] - Decimal("200.00")
        account = statement.account.public_id

    j.goto(f"/banque/synthese/?compte={account}&mois={lines[0].booked_on:%Y-%m}")
    assert j.accessibility_violations() == []
    j.shot("synthese")
    j.goto("/banque/en-attente/")
    assert j.accessibility_violations() == []
    assert j.console_errors == []
