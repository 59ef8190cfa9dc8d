"""A stay's step recorded by mistake, undone: the exit (its contracts run again, their months
called again) and the withdrawal; who may, what they must say, what they cannot undo."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from freezegun import freeze_time

from households.models import EventKind, HouseholdStatus
from households.services import household_withdraw
from iml.codes import UnitReturnReason
from iml.models import Role
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.services import ContractTerms, admit_with_contract, exit_cancel, exit_with_contracts
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory

D = datetime.date
RENT, CHARGES = Decimal("350.00"), Decimal("40.00")
TERMS = ContractTerms(rent=RENT, charges=CHARGES)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def _today():
    with freeze_time("2025-11-15 10:00"):
        yield


@pytest.fixture
def unit(org_a, dispositif_a):
    return HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2024, 1, 1))  # fmt: skip


def _household(org, dispositif, reference):
    household = HouseholdFactory(organisation=org, dispositif=dispositif, reference=reference,
                                 orientation_date=D(2024, 12, 1))  # fmt: skip
    PersonFactory(organisation=org, household=household)
    return household


@pytest.fixture
def exited(org_a, dispositif_a, unit, social_worker_a):
    """Entered on 1 January 2025, exit recorded on 15 November as of 1 September."""
    household = _household(org_a, dispositif_a, "H-1")
    admit_with_contract(household=household, unit=unit, room=None, entry_date=D(2025, 1, 1),
                        terms=TERMS, by=social_worker_a.user)  # fmt: skip
    exit_with_contracts(household=household, exit_date=D(2025, 9, 1),
                        destination="logement_social", by=social_worker_a.user)  # fmt: skip
    household.refresh_from_db()
    return household


def _balance(household) -> Decimal:
    totals = LedgerEntry.objects.filter(contract__household=household).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return totals["debit"] - totals["credit"]


def test_a_cancelled_exit_calls_again_the_months_since(exited, head_a):
    # Eight months lived before the exit; after the cancellation, January to November.
    assert _balance(exited) == 8 * (RENT + CHARGES)
    exit_cancel(household=exited, reason="Saisie sur le mauvais ménage", by=head_a.user)
    exited.refresh_from_db()
    assert exited.status == HouseholdStatus.PRESENT
    assert (exited.exit_date, exited.exit_destination) == (None, "")
    contract = SubleaseContract.objects.get(household=exited)
    assert contract.actual_end_date is None
    assert _balance(exited) == 11 * (RENT + CHARGES)
    event = exited.events.get(kind=EventKind.EXIT_CANCELLED)
    assert "01/09/2025" in event.summary and "mauvais ménage" in event.summary
    assert event.recorded_by == head_a.user
    # The exit stays in the history.
    assert exited.events.filter(kind=EventKind.EXITED).exists()


def test_an_exit_whose_home_was_let_since_cannot_be_cancelled(
    exited, unit, org_a, dispositif_a, head_a
):
    other = _household(org_a, dispositif_a, "H-2")
    admit_with_contract(household=other, unit=unit, room=None, entry_date=D(2025, 10, 1),
                        terms=TERMS, by=head_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="attribué à un autre ménage"):
        exit_cancel(household=exited, reason="Erreur", by=head_a.user)
    exited.refresh_from_db()
    assert exited.status == HouseholdStatus.EXITED
    assert not exited.events.filter(kind=EventKind.EXIT_CANCELLED).exists()


def test_an_exit_whose_home_was_returned_cannot_be_cancelled(exited, unit, head_a):
    unit.return_date, unit.return_reason = D(2025, 10, 1), UnitReturnReason.values[0]
    unit.save()
    with pytest.raises(ValidationError, match="rendu au bailleur"):
        exit_cancel(household=exited, reason="Erreur", by=head_a.user)
    exited.refresh_from_db()
    assert exited.status == HouseholdStatus.EXITED


def test_a_cancellation_says_why(exited, head_a):
    with pytest.raises(ValidationError, match="pourquoi"):
        exit_cancel(household=exited, reason="   ", by=head_a.user)


def test_the_head_and_the_recorder_may_cancel_nobody_else(
    exited, client, org_a, social_worker_a, members_a
):
    url = reverse("tenancy:household_exit_cancel", args=[exited.public_id])
    colleague = MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER)
    assert login(client, colleague).get(url).status_code == 403
    assert login(client, members_a[Role.REGISSEUR]).get(url).status_code == 403
    # The social worker who recorded the exit.
    login(client, social_worker_a)
    page = client.get(url).content.decode()
    assert "Annuler la sortie" in page and "data-confirm" in page
    refused = client.post(url, {"reason": ""})
    assert "Indiquez pourquoi" in refused.content.decode()
    done = client.post(url, {"reason": "Mauvais ménage"})
    assert done.status_code == 302
    exited.refresh_from_db()
    assert exited.status == HouseholdStatus.PRESENT


def test_a_cancelled_withdrawal_puts_the_household_back_on_the_list(
    org_a, dispositif_a, head_a, client
):
    household = _household(org_a, dispositif_a, "W-1")
    household_withdraw(household=household, withdrawal_date=D(2025, 3, 1), reason="autre",
                       by=head_a.user)  # fmt: skip
    login(client, head_a)
    page = client.get(reverse("households:household_detail", args=[household.public_id]))
    assert "Annuler le retrait" in page.content.decode()
    url = reverse("households:household_withdraw_cancel", args=[household.public_id])
    assert client.post(url, {"reason": "Ménage confondu"}).status_code == 302
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ORIENTED
    assert (household.withdrawal_date, household.withdrawal_reason) == (None, "")
    waiting = client.get(reverse("households:waiting_list")).content.decode()
    assert "W-1" in waiting


def test_the_exit_destination_is_chosen_never_defaulted(
    org_a, dispositif_a, unit, social_worker_a, client
):
    household = _household(org_a, dispositif_a, "H-3")
    admit_with_contract(household=household, unit=unit, room=None, entry_date=D(2025, 1, 1),
                        terms=TERMS, by=social_worker_a.user)  # fmt: skip
    login(client, social_worker_a)
    url = reverse("tenancy:household_exit", args=[household.public_id])
    page = client.get(url).content.decode()
    assert 'value="" selected' in page  # « choisissez », not the first destination
    refused = client.post(url, {"exit_date": "2025-09-01"})
    assert "Choisissez la destination" in refused.content.decode()
    household.refresh_from_db()
    assert household.status == HouseholdStatus.PRESENT
    client.post(url, {"exit_date": "2025-09-01", "destination": "ne_sait_pas"})
    household.refresh_from_db()
    assert household.status == HouseholdStatus.EXITED
    assert household.exit_destination == ""  # « inconnu » in the report


def test_a_future_exit_date_plans_the_exit_and_the_day_raises_an_alert(
    org_a, dispositif_a, unit, social_worker_a, client
):
    from alerts.job import sync_alerts
    from alerts.models import Alert, AlertKind
    from tenancy.spaces import planned_vacancies

    household = _household(org_a, dispositif_a, "H-4")
    admit_with_contract(household=household, unit=unit, room=None, entry_date=D(2025, 1, 1),
                        terms=TERMS, by=social_worker_a.user)  # fmt: skip
    type(household).objects.filter(pk=household.pk).update(referent=social_worker_a.user)
    login(client, social_worker_a)
    url = reverse("tenancy:household_exit", args=[household.public_id])
    # No destination yet: it is chosen on the day.
    response = client.post(url, {"exit_date": "2025-12-01"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == HouseholdStatus.PRESENT
    assert household.planned_exit_date == D(2025, 12, 1)
    assert SubleaseContract.objects.get(household=household).actual_end_date is None
    assert household.events.filter(kind=EventKind.EXIT_PLANNED).exists()
    # The space frees up soon, not yet.
    assert [c.household for c in planned_vacancies(since=D(2025, 11, 15))] == [household]
    page = client.get(reverse("tenancy:free_spaces")).content.decode()
    assert "Se libèrent bientôt" in page and "H-4" in page
    # The alert job: a warning ahead, due on the day.
    sync_alerts(org_a, today=D(2025, 11, 15))
    alert = Alert.objects.get(kind=AlertKind.PLANNED_EXIT, household=household)
    assert alert.level == "warning" and alert.assignee == social_worker_a.user
    assert alert.title == "Sortie prévue le 01/12/2025 : à enregistrer, ou à reporter"
    sync_alerts(org_a, today=D(2025, 12, 1))
    alert.refresh_from_db()
    assert alert.level == "due"
    # Recorded on the day: the plan is done, the alert resolved.
    with freeze_time("2025-12-01 10:00"):
        client.post(url, {"exit_date": "2025-12-01", "destination": "logement_social"})
        household.refresh_from_db()
        assert household.status == HouseholdStatus.EXITED and household.planned_exit_date is None
        sync_alerts(org_a, today=D(2025, 12, 1))
    alert.refresh_from_db()
    assert alert.status == "resolue"
