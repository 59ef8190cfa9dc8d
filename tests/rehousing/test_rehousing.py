"""The road out, first part: the social-housing demand (its yearly renewal watched), the
proposals (the commission, the household's answer and why it refused), and the exit an
accepted proposal pre-fills."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from alerts.job import sync_alerts
from alerts.models import Alert, AlertKind, AlertStatus
from households.models import HouseholdStatus
from iml.models import Role
from rehousing.models import HousingDemand, Proposal
from tenancy.services import ContractTerms, admit_with_contract
from tests.conftest import login
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory

D = datetime.date
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def _today():
    with freeze_time("2025-11-15 10:00"):
        yield


@pytest.fixture
def household(org_a, dispositif_a, social_worker_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="H-1",
                                 orientation_date=D(2024, 12, 1),
                                 referent=social_worker_a.user)  # fmt: skip
    PersonFactory(organisation=org_a, household=household)
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2024, 1, 1))  # fmt: skip
    admit_with_contract(household=household, unit=unit, room=None, entry_date=D(2025, 1, 6),
                        terms=ContractTerms(rent=400, charges=40),
                        by=social_worker_a.user)  # fmt: skip
    household.refresh_from_db()
    return household


DEMAND = {"number": "080 25 01 00012345", "filed_on": "2025-01-20", "communes": "Amiens",
          "typologies": ["t2", "t3"], "syplo_on": "2025-03-01"}  # fmt: skip


def test_the_demand_is_recorded_and_its_renewal_shown(client, household, social_worker_a):
    login(client, social_worker_a)
    page = client.get(household.get_absolute_url()).content.decode()
    assert "Aucune demande de logement social" in page
    url = reverse("rehousing:demand_edit", args=[household.public_id])
    refused = client.post(url, {**DEMAND, "number": "12"}).content.decode()
    assert "de 10 à 30 chiffres" in refused
    assert not HousingDemand.objects.exists()
    assert client.post(url, DEMAND).status_code == 302
    demand = HousingDemand.objects.get()
    assert demand.renewal_due == D(2026, 1, 20) and demand.typologies == ["t2", "t3"]
    page = client.get(household.get_absolute_url()).content.decode()
    assert "à renouveler avant le 20/01/2026" in page and "SYPLO (01/03/2025)" in page
    # Renewed: a new year from the renewal.
    client.post(url, {**DEMAND, "renewed_on": "2025-11-10"})
    demand.refresh_from_db()
    assert demand.renewal_due == D(2026, 11, 10)


@pytest.mark.parametrize(("filed", "due"), [(D(2024, 2, 29), D(2025, 2, 28)),
                                            (D(2024, 12, 31), D(2025, 12, 31)),
                                            (D(2025, 1, 1), D(2026, 1, 1))])  # fmt: skip
def test_a_demand_that_lapses_raises_an_alert_ahead(household, org_a, social_worker_a, filed, due):
    HousingDemand.objects.create(organisation=org_a, household=household,
                                 number="0802501000123", filed_on=filed)  # fmt: skip
    ahead = due - datetime.timedelta(days=household.dispositif.alert_warning_days)
    sync_alerts(org_a, today=ahead - datetime.timedelta(days=1))
    assert not Alert.objects.filter(kind=AlertKind.DEMAND_RENEWAL).exists()
    sync_alerts(org_a, today=ahead)
    alert = Alert.objects.get(kind=AlertKind.DEMAND_RENEWAL)
    assert (alert.level, alert.due_date, alert.assignee) == ("warning", due,
                                                            social_worker_a.user)  # fmt: skip
    assert alert.title == (
        f"Demande de logement social à renouveler avant le {due:%d/%m/%Y} (sinon radiée)"
    )
    # Renewed on the day: the alert is resolved, the next one is a year later.
    HousingDemand.objects.update(renewed_on=due)
    sync_alerts(org_a, today=due)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_a_refusal_has_its_reason(client, household, social_worker_a):
    login(client, social_worker_a)
    url = reverse("rehousing:proposal_create", args=[household.public_id])
    form = {"landlord": "OPAC", "parc": "public", "address": "3 rue des Lilas",
            "city": "Amiens", "typology": "t3", "rent": "480,50", "received_on": "2025-10-02",
            "cal_decision": "en_attente", "answer": "refusee"}  # fmt: skip
    refused = client.post(url, form).content.decode()
    assert "Indiquez pourquoi le ménage refuse" in refused
    assert not Proposal.objects.exists()
    assert client.post(url, {**form, "refusal_reason": "trop_loin"}).status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.answered_on == D(2025, 11, 15) and str(proposal.rent) == "480.50"
    page = client.get(household.get_absolute_url()).content.decode()
    assert "refusée par le ménage : trop loin" in page


def test_a_commission_that_has_not_sat_has_no_decision(client, household, social_worker_a):
    login(client, social_worker_a)
    url = reverse("rehousing:proposal_create", args=[household.public_id])
    response = client.post(url, {
        "landlord": "OPAC", "parc": "public", "address": "3 rue des Lilas", "city": "Amiens",
        "typology": "t3", "received_on": "2025-11-02", "cal_on": "2025-12-01",
        "cal_decision": "attribuee", "answer": "en_attente"})  # fmt: skip
    assert "n’a pas encore siégé" in response.content.decode()


def test_an_accepted_proposal_prefills_the_exit(client, household, social_worker_a):
    proposal = Proposal.objects.create(
        organisation=household.organisation, household=household, landlord="Habellis",
        address="12 avenue de la Paix", city="Reims", typology="t3",
        received_on=D(2025, 10, 1),
    )  # fmt: skip
    login(client, social_worker_a)
    url = reverse("rehousing:proposal_edit", args=[proposal.public_id])
    response = client.post(url, {
        "landlord": "Habellis", "parc": "public", "address": "12 avenue de la Paix",
        "city": "Reims", "typology": "t3", "received_on": "2025-10-01",
        "cal_on": "2025-10-20", "cal_decision": "attribuee", "answer": "acceptee",
        "answered_on": "2025-10-25", "move_in_on": "2025-11-10"}, follow=True)  # fmt: skip
    assert "la sortie du ménage est pré-remplie" in response.content.decode()
    exit_url = reverse("tenancy:household_exit", args=[household.public_id])
    page = client.get(exit_url).content.decode()
    assert "Proposition acceptée : T3 Habellis, 12 avenue de la Paix, Reims" in page
    assert '<option value="logement_social" selected>' in page
    assert 'value="2025-11-10"' in page
    client.post(exit_url, {"exit_date": "2025-11-10", "destination": "logement_social"})
    household.refresh_from_db()
    assert household.status == HouseholdStatus.EXITED
    assert (household.exit_date, household.exit_destination) == (D(2025, 11, 10),
                                                                "logement_social")  # fmt: skip


def test_the_social_file_s_road_out_is_not_the_regisseur_s(client, household, members_a):
    login(client, members_a[Role.REGISSEUR])
    page = client.get(household.get_absolute_url()).content.decode()
    assert "Relogement" not in page
    url = reverse("rehousing:demand_edit", args=[household.public_id])
    assert client.get(url).status_code == 403


def test_ready_to_leave_says_what_is_missing_then_what_is_done(
    client, household, social_worker_a, members_a
):
    from decimal import Decimal

    from iml.codes import PaperKind, PaymentMethod
    from papers.services import Owner
    from support.contracts import objective_close, support_contract_sign
    from support.models import SupportObjective
    from tenancy.ledger import payment_record
    from tenancy.money import household_balance
    from tests.papers.helpers import add_paper

    login(client, social_worker_a)
    assert "Prêt à sortir ?" in client.get(household.get_absolute_url()).content.decode()
    url = reverse("rehousing:readiness", args=[household.public_id])
    checks = client.get(url).content.decode().split("</h1>")[1].split("</ul>")[0]
    # Entered 6 January at 400 + 40 a month: January prorated (26 days of 31), then February
    # to November, nothing paid.
    owed = (Decimal(400) * 26 / 31).quantize(Decimal("0.01")) + (
        Decimal(40) * 26 / 31).quantize(Decimal("0.01")) + 10 * Decimal(440)  # fmt: skip
    assert household_balance(household) == owed
    assert "aucune demande enregistrée" in checks
    assert f"dette de {owed:,.2f}".replace(",", "\u202f").replace(".", ",") in checks
    assert "aucun objectif fixé" in checks and "manque : titre de séjour" in checks
    # Everything done: a live demand, the debt paid, the objective reached, the papers, a
    # proposal accepted.
    HousingDemand.objects.create(organisation=household.organisation, household=household,
                                 number="0802501000123", filed_on=D(2025, 2, 1))  # fmt: skip
    payment_record(contract=household.contracts.get(), date=D(2025, 11, 15), amount=owed,
                   method=PaymentMethod.VIREMENT, by=members_a[Role.REGISSEUR].user)  # fmt: skip
    goal = [("logement", "Accéder au logement social")]
    support = support_contract_sign(household=household, signed_on=D(2025, 1, 20),
                                    referent=social_worker_a.user, by=social_worker_a.user,
                                    objectives=goal)  # fmt: skip
    objective_close(objective=SupportObjective.objects.get(contract=support), status="atteint",
                    closed_on=D(2025, 11, 1), by=social_worker_a.user)  # fmt: skip
    for kind in (PaperKind.TITRE_SEJOUR, PaperKind.RIB, PaperKind.CAF):
        add_paper(Owner(household=household), kind, social_worker_a.user,
                  valid_until=D(2026, 6, 1))  # fmt: skip
    Proposal.objects.create(organisation=household.organisation, household=household,
                            landlord="OPAC", address="1 rue", city="Amiens", typology="t3",
                            received_on=D(2025, 11, 1))  # fmt: skip
    checks = client.get(url).content.decode().split("</h1>")[1].split("</ul>")[0]
    assert checks.count("check-ok") == 5, checks


def test_the_head_s_list_of_the_road_out(client, household, org_a, dispositif_a, head_a,
                                         django_assert_max_num_queries):  # fmt: skip
    from tenancy.models import Amendment, SubleaseContract

    old = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="OLD-1",
                           orientation_date=D(2023, 1, 1), entry_date=D(2024, 2, 1))  # fmt: skip
    PersonFactory(organisation=org_a, household=old)
    home = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2023, 1, 1))  # fmt: skip
    contract = SubleaseContract.objects.create(
        organisation=org_a,
        household=old,
        unit=home,
        reference="C-OLD",
        start_date=D(2024, 2, 1),
        initial_end_date=D(2024, 8, 1),
        rent=400,
    )
    Amendment.objects.create(organisation=org_a, contract=contract, number=1,
                             signed_on=D(2025, 7, 20), new_end_date=D(2026, 2, 1),
                             beyond_limit=True, justification="Attend un T4 à Amiens")  # fmt: skip
    Proposal.objects.create(organisation=org_a, household=household, landlord="OPAC",
                            address="1 rue", city="Amiens", typology="t3",
                            received_on=D(2025, 11, 1))  # fmt: skip
    Proposal.objects.create(organisation=org_a, household=old, landlord="Habellis",
                            address="2 rue", city="Reims", typology="t2",
                            received_on=D(2025, 6, 1), answer="refusee",
                            answered_on=D(2025, 6, 10), refusal_reason="trop_cher")  # fmt: skip
    login(client, head_a)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("rehousing:overview")).content.decode()
    without = page.split("sans demande de logement social active")[1].split("</section>")[0]
    assert "OLD-1" in without and "H-1" not in without  # H-1 entered this year
    waiting = page.split("en attente de la réponse")[1].split("</section>")[0]
    assert "H-1" in waiting and "OPAC" in waiting
    refused = page.split("Refus des douze")[1].split("</section>")[0]
    assert "OLD-1" in refused and "trop cher" in refused
    long_stays = page.split("au-delà de 18 mois</h2>")[1].split("</section>")[0]
    assert "OLD-1" in long_stays and "Attend un T4 à Amiens" in long_stays


def test_a_measure_and_the_follow_ups_after_the_exit(client, household, org_a, social_worker_a):
    from rehousing.models import FollowUp, Measure
    from tenancy.services import exit_with_contracts
    from tests.support.factories import PartnerFactory

    partner = PartnerFactory(organisation=org_a, name="CCAS d’Amiens")
    login(client, social_worker_a)
    url = reverse("rehousing:measure_create", args=[household.public_id])
    assert (
        client.post(
            url,
            {
                "kind": "asll",
                "funder": "Conseil départemental",
                "partner": partner.pk,
                "start_on": "2025-11-01",
                "end_on": "2025-10-01",
            },
        ).status_code
        == 200
    )  # end before start
    assert (
        client.post(
            url,
            {
                "kind": "asll",
                "funder": "Conseil départemental",
                "partner": partner.pk,
                "start_on": "2025-11-01",
            },
        ).status_code
        == 302
    )
    assert Measure.objects.get().partner == partner
    page = client.get(household.get_absolute_url()).content.decode()
    assert "ASLL" in page and "portée par CCAS d’Amiens" in page
    follow = reverse("rehousing:follow_up", args=[household.public_id, 1])
    refused = client.post(follow, {"contacted_on": "2025-11-14"}).content.decode()
    assert "concerne un ménage sorti" in refused
    exit_with_contracts(household=household, exit_date=D(2025, 9, 30), by=social_worker_a.user,
                        destination="logement_social")  # fmt: skip
    # A month after the exit: the alert, then the contact that resolves it.
    sync_alerts(org_a, today=D(2025, 10, 28))
    alert = Alert.objects.get(kind=AlertKind.FOLLOW_UP)
    assert (alert.milestone, alert.due_date, alert.assignee) == ("1", D(2025, 10, 30),
                                                                social_worker_a.user)  # fmt: skip
    assert client.post(follow, {"contacted_on": "2025-09-01"}).status_code == 200  # before exit
    contact = {"contacted_on": "2025-11-02", "housed": "true", "debts": "false", "needs": "Crèche"}
    assert client.post(follow, contact).status_code == 302
    done = FollowUp.objects.get()
    assert (done.months, done.housed, done.debts) == (1, True, False)
    sync_alerts(org_a, today=D(2025, 11, 3))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    page = client.get(household.get_absolute_url()).content.decode()
    assert "toujours dans son logement" in page
    assert client.get(reverse("rehousing:follow_up", args=[household.public_id, 2])).status_code \
        == 404  # fmt: skip
