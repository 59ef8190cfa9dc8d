"""Rent calls follow their contract: one live call per contract and month, equal to the days
the contract covered; an exit recorded late reverses and calls again; the database keeps the
chain; old ledgers are repaired append-only. Expected amounts are computed here, from the
calendar, never by the code under test."""

import calendar
import datetime
import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import LedgerKind
from iml.rls import organisation_transaction
from tenancy import ledger
from tenancy.calls import OLD_EXIT_CREDIT, calls_resync, issue_calls_to_date, issue_rent_calls
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.money import contract_balance
from tenancy.services import exit_with_contracts
from tenancy.tasks import issue_monthly_rent_calls
from tests.factories import MembershipFactory, OrganisationFactory
from tests.tenancy.factories import SubleaseContractFactory
from tests.tenancy.test_concurrency import run_together

D = datetime.date
E = Decimal


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(E("0.01"), rounding=ROUND_HALF_UP)


def owed(contract, month: datetime.date) -> Decimal:
    """Rent and charges of the days of ``month`` the contract covered (0: none)."""
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    after = month + datetime.timedelta(days=days_in_month)
    end = min(contract.actual_end_date or after, after)
    days = max(0, (end - max(contract.start_date, month)).days)
    return cents(contract.rent * days / days_in_month) + cents(
        contract.charges * days / days_in_month
    )


def live_calls(contract) -> dict[datetime.date, Decimal]:
    """Month -> amount of each live call, asserting there is at most one per month."""
    calls: dict[datetime.date, Decimal] = {}
    for call in LedgerEntry.objects.filter(contract=contract).live_calls():
        assert call.period not in calls, f"two live calls for {call.period}"
        calls[call.period] = call.debit
    return calls


def expected_calls(contract, through: datetime.date) -> dict[datetime.date, Decimal]:
    months, month = {}, contract.start_date.replace(day=1)
    while month <= through:
        amount = owed(contract, month)
        if amount:
            months[month] = amount
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


@pytest.fixture
def contract(org_a, dispositif_a):
    # Rent 400 + charges 50, entered on 10 March 2025.
    return SubleaseContractFactory(
        organisation=org_a,
        unit__dispositif=dispositif_a,
        start_date=D(2025, 3, 10),
        rent=E("400.00"),
        charges=E("50.00"),
    )


# --- Exits recorded late --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exit_date", "recorded_on"),
    [
        (D(2025, 6, 11), D(2025, 6, 20)),  # the same month
        (D(2025, 4, 20), D(2025, 9, 2)),  # five months late
        (D(2025, 3, 10), D(2025, 5, 1)),  # left on the day of entry: nothing is owed
        (D(2025, 5, 1), D(2025, 5, 31)),  # on the 1st: May owes nothing
        (D(2025, 3, 31), D(2025, 4, 1)),  # the last day of March is out
    ],
)
def test_an_exit_leaves_one_live_call_per_month_lived(contract, head_a, exit_date, recorded_on):
    with freeze_time(recorded_on):
        issue_calls_to_date(contract)
        exit_with_contracts(household=contract.household, exit_date=exit_date,
                            destination="logement_social", by=head_a.user)  # fmt: skip
    contract.refresh_from_db()
    assert live_calls(contract) == expected_calls(contract, recorded_on)
    assert not LedgerEntry.objects.filter(kind=LedgerKind.REGULARISATION).exists()
    # The balance is the rent of the days lived, nothing more.
    assert contract_balance(contract) == sum(expected_calls(contract, recorded_on).values(), E(0))
    # Each reversal takes the date of the call it reverses; each new call replaces one.
    for reversal in LedgerEntry.objects.filter(kind=LedgerKind.ANNULATION):
        assert reversal.date == reversal.reverses.date
        assert reversal.credit == reversal.reverses.debit
    for call in LedgerEntry.objects.filter(kind=LedgerKind.APPEL, replaces__isnull=False):
        assert call.replaces.period == call.period and call.replaces.reversals.exists()


def test_a_second_resync_and_the_monthly_job_change_nothing(contract, head_a):
    with freeze_time("2025-08-20"):
        issue_calls_to_date(contract)
        exit_with_contracts(household=contract.household, exit_date=D(2025, 5, 16),
                            destination="tiers", by=head_a.user)  # fmt: skip
        before = LedgerEntry.objects.count()
        changes = calls_resync(contract=contract, by=head_a.user, reason="encore")
        assert not changes and LedgerEntry.objects.count() == before
        issue_monthly_rent_calls("2025-08-01")
        issue_rent_calls(organisation_id=contract.organisation_id,
                         months=[D(2025, 6, 1), D(2025, 7, 1)])  # fmt: skip
        assert LedgerEntry.objects.count() == before


def test_a_month_reversed_then_covered_again_is_called_again(contract, head_a):
    """An end moved later again (a correction): the reversed month is called again, the new
    call replacing the reversed one."""
    with freeze_time("2025-06-20"):
        issue_calls_to_date(contract)
        SubleaseContract.objects.filter(pk=contract.pk).update(actual_end_date=D(2025, 4, 1))
        calls_resync(contract=contract, by=head_a.user, reason="fin")
        contract.refresh_from_db()
        assert set(live_calls(contract)) == {D(2025, 3, 1)}
        SubleaseContract.objects.filter(pk=contract.pk).update(actual_end_date=None)
        calls_resync(contract=contract, by=head_a.user, reason="fin annulée")
        contract.refresh_from_db()
        assert live_calls(contract) == expected_calls(contract, D(2025, 6, 20))
    may = LedgerEntry.objects.filter(contract=contract, kind="appel", period=D(2025, 5, 1))
    assert may.count() == 2 and may.filter(replaces__isnull=False).count() == 1


# --- The database keeps at most one live call -----------------------------------------------


TEN = E("10.00")


def _insert_call(contract, period, *, replaces=None, amount=TEN):
    return LedgerEntry.objects.create(
        organisation=contract.organisation, contract=contract, date=period, kind="appel",
        debit=amount, period=period, rent_part=amount, charges_part=0, replaces=replaces,
    )  # fmt: skip


def _check_deferred():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_the_database_refuses_a_second_live_call(contract):
    first = _insert_call(contract, D(2025, 4, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_call(contract, D(2025, 4, 1))  # a second first call
    with pytest.raises(IntegrityError, match="replaced_call_reversed"), transaction.atomic():
        _insert_call(contract, D(2025, 4, 1), replaces=first)  # the first is live
        _check_deferred()
    other_month = _insert_call(contract, D(2025, 5, 1))
    LedgerEntry.objects.create(
        organisation=contract.organisation, contract=contract, date=D(2025, 5, 1),
        kind="annulation", credit=E("10.00"), period=D(2025, 5, 1), reverses=other_month,
    )  # fmt: skip
    with pytest.raises(IntegrityError, match="replaced_call_reversed"), transaction.atomic():
        _insert_call(contract, D(2025, 4, 1), replaces=other_month)  # another month
        _check_deferred()
    again = _insert_call(contract, D(2025, 5, 1), replaces=other_month)
    _check_deferred()
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_call(contract, D(2025, 5, 1), replaces=other_month)  # replaced once
    assert live_calls(contract) == {D(2025, 4, 1): E("10.00"), D(2025, 5, 1): again.debit}


@pytest.mark.django_db(transaction=True)
def test_a_late_exit_and_the_monthly_job_at_the_same_time_leave_no_dead_call():
    """The job waits for the exit that is ending the contract, then reads the ended row."""
    org = OrganisationFactory(slug="concurrent-exit")
    contract = SubleaseContractFactory(organisation=org, start_date=D(2025, 1, 1))
    user = MembershipFactory(organisation=org, role="head").user
    with organisation_transaction(org):
        issue_calls_to_date(contract, today=D(2025, 5, 31))
    exit_locked, job_started = threading.Event(), threading.Event()

    def exit_():
        with organisation_transaction(org):
            SubleaseContract.objects.select_for_update().get(pk=contract.pk)
            exit_locked.set()
            job_started.wait(10)
            threading.Event().wait(0.5)  # the job is now waiting on the contract's lock
            exit_with_contracts(household=contract.household, exit_date=D(2025, 5, 15),
                                destination="tiers", by=user)  # fmt: skip

    def job():
        exit_locked.wait(10)
        job_started.set()
        issue_monthly_rent_calls("2025-06-01")

    assert run_together(exit_, job) == []
    with organisation_transaction(org):
        contract.refresh_from_db()
        assert contract.actual_end_date == D(2025, 5, 15)
        assert live_calls(contract) == expected_calls(contract, D(2025, 6, 30))
        assert not LedgerEntry.objects.filter(period=D(2025, 6, 1)).exists()


# --- Repair of old ledgers ------------------------------------------------------------------


def _old_style_exit(contract, by):
    """What exits used to write: the contract ended, every call kept, one credit beside."""
    issue_calls_to_date(contract, today=D(2025, 9, 15))
    SubleaseContract.objects.filter(pk=contract.pk).update(actual_end_date=D(2025, 5, 16))
    ledger.append_entry(
        contract=contract, date=D(2025, 5, 16), kind=LedgerKind.REGULARISATION,
        credit=E("1587.10"), by=by,
        note=f"Départ le 16/05/2025 : {OLD_EXIT_CREDIT}, remboursé au prorata",
    )  # fmt: skip


@freeze_time("2025-09-15")
def test_the_repair_command_counts_then_repairs_then_changes_nothing(contract, head_a, capsys):
    _old_style_exit(contract, head_a.user)
    contract.refresh_from_db()
    before = LedgerEntry.objects.count()
    call_command("repair_rent_calls", "--organisation", contract.organisation.slug)
    assert LedgerEntry.objects.count() == before  # counted, not written
    assert "à corriger" in capsys.readouterr().out
    call_command("repair_rent_calls", "--organisation", contract.organisation.slug, "--wet-run")
    assert live_calls(contract) == expected_calls(contract, D(2025, 9, 15))
    # The old credit is reversed on its own date: the balance is the rent of the days lived.
    credit = LedgerEntry.objects.get(kind=LedgerKind.REGULARISATION)
    assert credit.reversals.get().date == credit.date
    assert contract_balance(contract) == sum(expected_calls(contract, D(2025, 9, 15)).values())
    after = LedgerEntry.objects.count()
    capsys.readouterr()
    call_command("repair_rent_calls", "--wet-run")
    assert LedgerEntry.objects.count() == after
    assert all(
        " : 0 contrat(s) corrigé(s)" in line for line in capsys.readouterr().out.split("\n")[:-1]
    )


# --- A rent corrected after months were called ------------------------------------------------


@freeze_time("2025-06-20")
def test_a_corrected_rent_calls_every_month_again(client, contract, members_a):
    issue_calls_to_date(contract)
    client.force_login(members_a["regisseur"].user)
    url = reverse("tenancy:contract_terms", args=[contract.public_id])
    assert 'value="400,00"' in client.get(url).content.decode()
    response = client.post(url, {"rent": "380,00", "charges": "50", "reason": "",
                                 "expected_housing_benefit": "0"})  # fmt: skip
    assert "Ce champ est obligatoire" in response.content.decode()
    ok = client.post(url, {"rent": "380,00", "charges": "50", "expected_housing_benefit": "0",
                      "reason": "Loyer mal saisi à l’entrée"})  # fmt: skip
    assert ok.status_code == 302, ok.content.decode()[-3000:]
    contract.refresh_from_db()
    assert contract.rent == E("380.00")
    # March (22 days of 31) to June, all called again at 380 + 50.
    assert live_calls(contract) == expected_calls(contract, D(2025, 6, 20))
    assert live_calls(contract)[D(2025, 4, 1)] == E("430.00")
    assert LedgerEntry.objects.filter(kind=LedgerKind.ANNULATION).count() == 4
    body = client.post(url, {"rent": "380", "charges": "50", "expected_housing_benefit": "0",
                             "reason": "encore"}).content.decode()  # fmt: skip
    assert "rien à corriger" in body
    client.force_login(members_a["social_worker"].user)
    assert client.get(url).status_code == 403
