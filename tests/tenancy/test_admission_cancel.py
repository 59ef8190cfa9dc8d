"""An admission recorded by mistake, undone: the household waits again and its contract counts
nowhere (no occupied day, no rent, no entry); refused once the stay was built on."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from freezegun import freeze_time

from households.models import EventKind, HouseholdStatus
from households.services import PersonData, person_add
from iml.codes import LedgerKind, PaymentMethod, PersonRole, Sex
from iml.models import Role
from reporting.compute import compute_report
from tenancy.ledger import entry_reverse, payment_record
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.services import ContractTerms, admission_cancel, admit_with_contract
from tenancy.spaces import free_spaces
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory

D = datetime.date
RENT, CHARGES = Decimal("350.00"), Decimal("40.00")
TERMS = ContractTerms(rent=RENT, charges=CHARGES)
ENTRY = D(2025, 3, 10)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def _today():
    with freeze_time("2025-11-15 10:00"):
        yield


@pytest.fixture
def unit(org_a, dispositif_a):
    return HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2024, 1, 1))  # fmt: skip


@pytest.fixture
def household(org_a, dispositif_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="H-1",
                                 orientation_date=D(2025, 1, 6))  # fmt: skip
    PersonFactory(organisation=org_a, household=household)
    return household


def _admit(household, unit, member):
    return admit_with_contract(household=household, unit=unit, room=None, entry_date=ENTRY,
                               terms=TERMS, by=member.user)  # fmt: skip


def _balance(household) -> Decimal:
    totals = LedgerEntry.objects.filter(contract__household=household).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return (totals["debit"] or 0) - (totals["credit"] or 0)


def test_a_cancelled_admission_counts_nowhere(household, unit, dispositif_a, social_worker_a):
    before_report = compute_report(dispositif_a, D(2025, 1, 1), D(2025, 12, 31))
    before_spaces = [space.key for space in free_spaces(at=D(2025, 11, 15))]
    contract = _admit(household, unit, social_worker_a)
    # March prorated (22 days of 31), then April to November: what the entry called.
    march = (RENT * 22 / 31).quantize(Decimal("0.01")) + (CHARGES * 22 / 31).quantize(
        Decimal("0.01")
    )
    assert _balance(household) == march + 8 * (RENT + CHARGES)
    admission_cancel(household=household, reason="Entrée saisie sur le mauvais ménage",
                     by=social_worker_a.user)  # fmt: skip
    household.refresh_from_db()
    contract.refresh_from_db()
    assert household.status == HouseholdStatus.ORIENTED
    assert household.entry_date is None
    assert contract.cancelled_at is not None and contract.actual_end_date == ENTRY
    # Every call reversed, nothing owed; the calls stay in the ledger (append-only).
    assert _balance(household) == 0
    assert not LedgerEntry.objects.filter(contract=contract).live().exists()
    assert LedgerEntry.objects.filter(contract=contract, kind=LedgerKind.APPEL).count() == 9
    # The report and the free spaces are those of a household that never entered.
    assert compute_report(dispositif_a, D(2025, 1, 1), D(2025, 12, 31)) == before_report
    assert [space.key for space in free_spaces(at=D(2025, 11, 15))] == before_spaces
    event = household.events.get(kind=EventKind.ADMISSION_CANCELLED)
    assert "10/03/2025" in event.summary and "mauvais ménage" in event.summary
    assert household.events.filter(kind=EventKind.ADMITTED).exists()  # kept in the history


def test_the_household_can_be_admitted_again_on_the_same_space(
    household, unit, social_worker_a, head_a
):
    first = _admit(household, unit, social_worker_a)
    admission_cancel(household=household, reason="Mauvaise date", by=head_a.user)
    second = _admit(household, unit, social_worker_a)
    assert second.reference != first.reference
    household.refresh_from_db()
    assert household.status == HouseholdStatus.PRESENT
    # Cancelled again: only the running contract is voided, the first one stays as it was.
    admission_cancel(household=household, reason="Encore une erreur", by=head_a.user)
    assert SubleaseContract.objects.filter(household=household, cancelled_at__isnull=False)\
        .count() == 2  # fmt: skip


def test_refused_after_a_payment_until_the_regisseur_reverses_it(
    household, unit, social_worker_a, members_a, head_a
):
    contract = _admit(household, unit, social_worker_a)
    regisseur = members_a[Role.REGISSEUR].user
    payment = payment_record(contract=contract, date=D(2025, 4, 2), amount="100",
                             method=PaymentMethod.ESPECES, by=regisseur)  # fmt: skip
    with pytest.raises(ValidationError, match="le régisseur doit d’abord les annuler"):
        admission_cancel(household=household, reason="Erreur", by=head_a.user)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.PRESENT
    assert not household.events.filter(kind=EventKind.ADMISSION_CANCELLED).exists()
    entry_reverse(entry=payment, date=D(2025, 11, 15), reason="Mauvais ménage", by=regisseur)
    admission_cancel(household=household, reason="Erreur", by=head_a.user)
    assert _balance(household) == 0
    # Nothing more can be written on a voided contract.
    contract.refresh_from_db()
    with pytest.raises(ValidationError, match="est annulé"):
        payment_record(contract=contract, date=D(2025, 11, 15), amount="10",
                       method=PaymentMethod.ESPECES, by=regisseur, confirmed=True)  # fmt: skip


def test_refused_once_a_person_arrived_during_the_stay(household, unit, social_worker_a, head_a):
    _admit(household, unit, social_worker_a)
    baby = PersonData(first_name="Lina", last_name="X", role=PersonRole.ENFANT,
                      sex=Sex.values[0], birth_date=D(2025, 6, 1))  # fmt: skip
    person_add(household=household, data=baby, by=head_a.user, joined_date=D(2025, 6, 1))
    with pytest.raises(ValidationError, match="arrivée ou un départ"):
        admission_cancel(household=household, reason="Erreur", by=head_a.user)


def test_only_a_present_household_has_its_entry_cancelled(household, head_a):
    with pytest.raises(ValidationError, match="annuler l’entrée"):
        admission_cancel(household=household, reason="Erreur", by=head_a.user)


def test_the_head_and_the_recorder_may_cancel_nobody_else(
    household, unit, client, org_a, social_worker_a, members_a
):
    _admit(household, unit, social_worker_a)
    url = reverse("tenancy:household_admission_cancel", args=[household.public_id])
    colleague = MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER)
    assert login(client, colleague).get(url).status_code == 403
    assert login(client, members_a[Role.REGISSEUR]).get(url).status_code == 403
    login(client, social_worker_a)
    detail = client.get(household.get_absolute_url()).content.decode()
    assert "Annuler l’entrée" in detail
    page = client.get(url).content.decode()
    assert "Annuler l’entrée" in page and "data-confirm" in page
    assert "Indiquez pourquoi" in client.post(url, {"reason": " "}).content.decode()
    assert client.post(url, {"reason": "Mauvais ménage"}).status_code == 302
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ORIENTED
    contract = SubleaseContract.objects.get(household=household)
    shown = client.get(contract.get_absolute_url()).content.decode()
    assert "annulé le 15/11/2025" in shown
