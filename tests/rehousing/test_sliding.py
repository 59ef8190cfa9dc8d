"""« Glissement envisagé »: the steps before a sublease slides to the household, dated on the
contract, seen on the contract and the household pages and in the head's overview."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import PaymentMethod
from iml.models import Role
from privacy.rgpd_export import household_data
from rehousing.models import SlidePlan
from tenancy.ledger import payment_record
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


def _admit(org, dispositif, by, *, parc="public", sliding=True):
    household = HouseholdFactory(organisation=org, dispositif=dispositif,
                                 orientation_date=D(2024, 12, 1), referent=by)  # fmt: skip
    PersonFactory(organisation=org, household=household, last_name="Diallo")
    unit = HousingUnitFactory(organisation=org, dispositif=dispositif, parc=parc,
                              captation_date=D(2024, 1, 1))  # fmt: skip
    return admit_with_contract(
        household=household, unit=unit, room=None, entry_date=D(2025, 3, 1),
        terms=ContractTerms(rent=500, charges=50, towards_sliding_lease=sliding), by=by,
    )  # fmt: skip


@pytest.fixture
def contract(org_a, dispositif_a, social_worker_a):
    return _admit(org_a, dispositif_a, social_worker_a.user)


STEPS = {"considered_on": "2025-09-01", "planned_on": "2026-03-01", "cal_decision": "en_attente"}


def _post(client, contract, data):
    return client.post(reverse("rehousing:slide_plan", args=[contract.public_id]), data)


def _section(page: str) -> str:
    return page.split('id="glissement"')[1].split("</section>")[0]


def test_the_stage_and_its_steps_are_dated_then_the_lease_can_slide(client, contract, members_a):
    regisseur = members_a[Role.REGISSEUR]
    login(client, regisseur)
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "le glissement n’est pas encore envisagé" in _section(page)
    assert _post(client, contract, STEPS).status_code == 302
    plan = SlidePlan.objects.get()
    assert (plan.contract, plan.considered_on, plan.updated_by) == (contract, D(2025, 9, 1),
                                                                    regisseur.user)  # fmt: skip
    section = _section(client.get(contract.get_absolute_url()).content.decode())
    # March to November at 550 a month, nothing paid (entered on the 1st: no proration).
    owed = 9 * Decimal(550)
    assert owed == Decimal("4950")
    assert "Accord du propriétaire</strong> — à obtenir" in section
    assert "Commission d’attribution (CAL)</strong> — en attente" in section
    assert "Convention tripartite signée</strong> — à signer" in section
    assert "dette de 4\u202f950,00" in section
    assert "le bail peut glisser" not in section
    # Every step, then the debt paid: the lease can slide.
    done = {**STEPS, "owner_consent_on": "2025-09-15", "cal_on": "2025-10-20",
            "cal_decision": "attribuee", "tripartite_on": "2025-11-03",
            "pre_exit_inventory_on": "2025-11-10"}  # fmt: skip
    assert _post(client, contract, done).status_code == 302
    assert SlidePlan.objects.count() == 1
    payment_record(contract=contract, date=D(2025, 11, 15), amount=owed,
                   method=PaymentMethod.VIREMENT, by=regisseur.user)  # fmt: skip
    section = _section(client.get(contract.get_absolute_url()).content.decode())
    assert "logement attribué le 20/10/2025" in section and "compte à jour" in section
    assert section.count("À faire :") == 0 and section.count("Fait :") == 5
    assert "le bail peut glisser au ménage" in section
    assert reverse("tenancy:contract_slide", args=[contract.public_id]) in section


def test_the_household_page_and_the_head_s_overview_show_it(
    client, contract, org_a, social_worker_a, head_a
):
    SlidePlan.objects.create(organisation=org_a, contract=contract, considered_on=D(2025, 9, 1),
                             owner_consent_on=D(2025, 9, 15))  # fmt: skip
    login(client, social_worker_a)
    section = _section(client.get(contract.household.get_absolute_url()).content.decode())
    assert "Envisagé depuis le 01/09/2025" in section and "le 15/09/2025" in section
    login(client, head_a)
    page = client.get(reverse("rehousing:overview")).content.decode()
    listed = page.split('id="glissements"')[1].split("</section>")[0]
    assert contract.reference in listed and "accord du propriétaire : 15/09/2025" in listed
    # The slide done, the stage is over: no longer on the overview nor the pages.
    from tenancy.services import contract_slide

    contract_slide(contract=contract, slide_date=D(2025, 11, 14), by=head_a.user)
    page = client.get(reverse("rehousing:overview")).content.decode()
    assert "Aucun glissement de bail envisagé." in page
    assert 'id="glissement"' not in client.get(contract.get_absolute_url()).content.decode()


def test_a_private_home_has_no_commission(client, org_a, dispositif_a, social_worker_a):
    contract = _admit(org_a, dispositif_a, social_worker_a.user, parc="prive")
    login(client, social_worker_a)
    _post(client, contract, STEPS)
    section = _section(client.get(contract.get_absolute_url()).content.decode())
    assert "sans objet (logement du parc privé)" in section


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"owner_consent_on": "2025-11-16"}, "de l’accord du propriétaire ne peut pas être future"),
        ({"considered_on": "2025-02-28"}, "pendant la sous-location (depuis le 01/03/2025)"),
        ({"cal_decision": "attribuee"}, "Une décision de la commission a "),
        ({"cal_decision": "attribuee", "cal_on": "2025-12-01"},
         "Une décision de la commission a "),
        ({"considered_on": "pas une date"}, "Saisissez une date valide"),
    ],
)  # fmt: skip
def test_bad_steps_are_refused_and_change_nothing(client, contract, social_worker_a, data,
                                                  message):  # fmt: skip
    login(client, social_worker_a)
    response = _post(client, contract, {**STEPS, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SlidePlan.objects.exists()


def test_only_a_running_sublease_towards_a_sliding_lease(
    client, org_a, dispositif_a, social_worker_a, members_a
):
    plain = _admit(org_a, dispositif_a, social_worker_a.user, sliding=False)
    login(client, social_worker_a)
    assert _post(client, plain, STEPS).status_code == 404
    assert 'id="glissement"' not in client.get(plain.get_absolute_url()).content.decode()
    login(client, members_a[Role.ADMIN])
    sliding = _admit(org_a, dispositif_a, social_worker_a.user)
    assert _post(client, sliding, STEPS).status_code == 403
    assert not SlidePlan.objects.exists()


def test_in_the_household_s_data_export(contract, org_a):
    SlidePlan.objects.create(
        organisation=org_a, contract=contract, considered_on=D(2025, 9, 1),
        tripartite_on=D(2025, 10, 1), note="convention chez le bailleur",
    )  # fmt: skip
    (exported,) = household_data(contract.household)["slide_plans"]
    assert exported["contract"] == contract.reference
    assert exported["tripartite_on"] == "2025-10-01"
    assert exported["note"] == "convention chez le bailleur"


def test_a_room_does_not_slide(client, org_a, dispositif_a, social_worker_a):
    from django.core.exceptions import ValidationError

    from rehousing.services import slide_plan_save
    from tests.housing.factories import RoomFactory

    room = RoomFactory(unit__organisation=org_a, unit__dispositif=dispositif_a,
                       unit__captation_date=D(2024, 1, 1))  # fmt: skip
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a,
                                 orientation_date=D(2024, 12, 1))  # fmt: skip
    PersonFactory(organisation=org_a, household=household)
    contract = admit_with_contract(
        household=household, unit=room.unit, room=room, entry_date=D(2025, 3, 1),
        terms=ContractTerms(rent=300, charges=30, towards_sliding_lease=True),
        by=social_worker_a.user,
    )  # fmt: skip
    login(client, social_worker_a)
    assert _post(client, contract, STEPS).status_code == 404
    with pytest.raises(ValidationError, match="Seul un logement entier glisse"):
        slide_plan_save(contract=contract, by=social_worker_a.user, considered_on=D(2025, 9, 1))
    assert not SlidePlan.objects.exists()
