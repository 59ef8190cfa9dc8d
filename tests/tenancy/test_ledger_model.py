"""A model-based test of the money: Hypothesis drives the services (admissions into a flat or a
room, the monthly calls, payments, CAF, aids, reversals, repayment plans, amendments, exits
recorded late, new admissions into the freed space) and, after every step, compares what the
software shows with a small model of the accounts written here in plain Python (no ORM, no
helper of the code under test): balances, one live call per contract and month, plan status
and instalments, the day's cash, the debt figures, the report's rent figures and the owner page.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from iml.codes import LedgerKind, PaymentMethod, RepaymentPlanStatus
from reporting.compute import _rent
from reporting.definitions import ReportScope
from tenancy import ledger, money
from tenancy.models import LedgerEntry, RepaymentPlan, SubleaseContract
from tenancy.owners import owner_leases
from tenancy.plans import plan_create, plan_schedule
from tenancy.services import ContractTerms, admit_with_contract, contract_renew, exit_with_contracts
from tenancy.tasks import issue_monthly_rent_calls
from tests.households.factories import PersonFactory
from tests.housing.factories import HousingUnitFactory, MainLeaseFactory, RoomFactory

D = datetime.date
E = Decimal
ZERO = E("0.00")
FIRST_DAY = D(2025, 1, 20)
TERMS = [  # rent, charges, expected CAF
    (E("500.00"), E("40.00"), E("250.00")),
    (E("315.00"), E("35.00"), E("154.00")),
    (E("287.50"), E("0.00"), E("0.00")),
]


# --- The model --------------------------------------------------------------------------------


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(E("0.01"), rounding=ROUND_HALF_UP)


def first_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_from(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], first_of(first)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=31)).replace(day=1)
    return months


@dataclass
class Credit:
    pk: int
    kind: str  # paiement, apl, aide
    date: datetime.date
    amount: Decimal
    month: datetime.date | None = None  # CAF: the month it is for
    reversed_on: datetime.date | None = None


@dataclass
class Plan:
    pk: int
    signed_on: datetime.date
    debt: Decimal
    instalments: list[tuple[datetime.date, Decimal]]
    status: str = RepaymentPlanStatus.ACTIF
    closed_on: datetime.date | None = None


@dataclass
class Contract:
    pk: int
    space: str
    unit: str
    start: datetime.date
    rent: Decimal
    charges: Decimal
    caf: Decimal
    end: datetime.date | None = None
    credits: list[Credit] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)

    def owed(self, month: datetime.date) -> Decimal:
        days_in_month = calendar.monthrange(month.year, month.month)[1]
        after = month + datetime.timedelta(days=days_in_month)
        end = min(self.end or after, after)
        days = max(0, (end - max(self.start, month)).days)
        return cents(self.rent * days / days_in_month) + cents(self.charges * days / days_in_month)

    def calls(self, today: datetime.date) -> dict[datetime.date, tuple[datetime.date, Decimal]]:
        """Month -> (value date, amount) of the live calls: every begun month it covered."""
        result = {}
        for month in months_from(self.start, today):
            amount = self.owed(month)
            if amount:
                result[month] = (max(self.start, month), amount)
        return result

    def caf_owed(self, month: datetime.date) -> Decimal:
        days_in_month = calendar.monthrange(month.year, month.month)[1]
        after = month + datetime.timedelta(days=days_in_month)
        days = max(0, (min(self.end or after, after) - max(self.start, month)).days)
        return cents(self.caf * days / days_in_month)

    def live_credits(self) -> list[Credit]:
        return [c for c in self.credits if c.reversed_on is None]

    def balance(self, today: datetime.date) -> Decimal:
        calls = sum((amount for _, amount in self.calls(today).values()), ZERO)
        return calls - sum((c.amount for c in self.live_credits()), ZERO)

    def dated_balance(self, today: datetime.date, at: datetime.date) -> Decimal:
        """As recorded at ``at``: a reversal counts on its own date."""
        calls = sum((a for d, a in self.calls(today).values() if d <= at), ZERO)
        paid = sum(
            (c.amount for c in self.credits
             if c.date <= at and (c.reversed_on is None or c.reversed_on > at)),
            ZERO,
        )  # fmt: skip
        return calls - paid

    def corrected_balance(self, today: datetime.date, at: datetime.date) -> Decimal:
        calls = sum((a for d, a in self.calls(today).values() if d <= at), ZERO)
        return calls - sum((c.amount for c in self.live_credits() if c.date <= at), ZERO)

    def running(self, today: datetime.date) -> bool:
        return self.start <= today and (self.end is None or self.end > today)


# --- The machine ------------------------------------------------------------------------------


class Accounts(RuleBasedStateMachine):
    """The whole organisation's accounts, one example at a time (a savepoint each)."""

    world: dict = {}

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.today = FIRST_DAY
        self.contracts: list[Contract] = []
        self.waiting = list(self.world["households"])
        self.user = self.world["user"]
        self.dispositif = self.world["dispositif"]

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def frozen(self):
        return freeze_time(f"{self.today.isoformat()} 10:00")

    # -- helpers --

    def free_spaces(self, entry: datetime.date) -> list[str]:
        taken = {c.space for c in self.contracts if c.end is None or c.end > entry}
        return [s for s in self.world["spaces"] if s not in taken]

    def pick(self, index: int, *, running: bool = False) -> Contract:
        pool = [c for c in self.contracts if not running or c.running(self.today)]
        return pool[index % len(pool)]

    def follow_plans(self, contract: Contract) -> None:
        """The model's rule: reopen the last settled plan when its closing day's corrected
        balance is a debt; settle the active one when the balance is down to zero."""
        active = next((p for p in contract.plans if p.status == RepaymentPlanStatus.ACTIF), None)
        if active is None and contract.plans:
            last = contract.plans[-1]
            if last.status == RepaymentPlanStatus.SOLDE and (
                contract.corrected_balance(self.today, last.closed_on) > 0
            ):
                last.status, last.closed_on, active = RepaymentPlanStatus.ACTIF, None, last
        if active is not None and contract.balance(self.today) <= 0:
            active.status, active.closed_on = RepaymentPlanStatus.SOLDE, self.today

    # -- rules --

    @precondition(lambda self: self.waiting)
    @rule(days_ago=st.integers(0, 40), space=st.integers(0, 5), terms=st.sampled_from(TERMS))
    def admit(self, days_ago, space, terms):
        entry = max(self.today - datetime.timedelta(days=days_ago), FIRST_DAY)
        free = self.free_spaces(entry)
        if not free:
            return
        name = free[space % len(free)]
        unit, room = self.world["spaces"][name]
        household = self.waiting.pop(0)
        rent, charges, caf = terms
        with self.frozen():
            made = admit_with_contract(
                household=household, unit=unit, room=room, entry_date=entry, by=self.user,
                terms=ContractTerms(rent=rent, charges=charges, expected_housing_benefit=caf),
            )  # fmt: skip
        self.contracts.append(Contract(made.pk, name, unit.reference, entry, rent, charges, caf))

    @rule(days=st.integers(1, 40))
    def advance(self, days):
        """Time passes; on each 1st, the monthly job."""
        new = self.today + datetime.timedelta(days=days)
        for month in months_from(self.today + datetime.timedelta(days=1), new):
            if month > self.today:
                with freeze_time(f"{month.isoformat()} 06:00"):
                    issue_monthly_rent_calls(month.isoformat())
        self.today = new

    @precondition(lambda self: self.contracts)
    @rule(index=st.integers(0, 20), amount=st.sampled_from(["25", "150", "196", "290", "540"]),
          confirmed=st.booleans())  # fmt: skip
    def pay(self, index, amount, confirmed):
        contract = self.pick(index)
        owes = contract.balance(self.today)
        needs = owes <= 0 or E(amount) > owes
        with self.frozen():
            try:
                entry = ledger.payment_record(
                    contract=SubleaseContract.objects.get(pk=contract.pk), date=self.today,
                    amount=amount, method=PaymentMethod.ESPECES, by=self.user,
                    confirmed=confirmed,
                )  # fmt: skip
            except ValidationError as error:
                assert needs and not confirmed, error
                assert ledger.NEEDS_CONFIRMATION in {e.code for e in error.error_list}
                return
        assert confirmed or not needs
        contract.credits.append(Credit(entry.pk, "paiement", self.today, E(amount)))
        self.follow_plans(contract)

    @precondition(lambda self: self.contracts)
    @rule(index=st.integers(0, 20))
    def caf(self, index):
        contract = self.pick(index)
        month = first_of(self.today)
        amount = contract.caf_owed(month)
        recorded = any(
            c.kind == "apl" and c.month == month and c.reversed_on is None for c in contract.credits
        )
        if not amount or recorded:
            return
        with self.frozen():
            (entry,) = ledger.caf_confirm(
                month=month, date=self.today, by=self.user,
                received={SubleaseContract.objects.get(pk=contract.pk): amount},
            )  # fmt: skip
        contract.credits.append(Credit(entry.pk, "apl", self.today, amount, month=month))
        self.follow_plans(contract)

    @precondition(lambda self: self.contracts)
    @rule(index=st.integers(0, 20), amount=st.sampled_from(["80", "300"]))
    def aid(self, index, amount):
        contract = self.pick(index)
        with self.frozen():
            entry = ledger.aid_record(
                contract=SubleaseContract.objects.get(pk=contract.pk), date=self.today,
                amount=amount, by=self.user, note="FSL",
            )  # fmt: skip
        contract.credits.append(Credit(entry.pk, "aide", self.today, E(amount)))
        self.follow_plans(contract)

    @precondition(lambda self: any(c.live_credits() for c in self.contracts))
    @rule(index=st.integers(0, 50))
    def reverse(self, index):
        credits = [(c, k) for c in self.contracts for k in c.live_credits()]
        contract, credit = credits[index % len(credits)]
        with self.frozen():
            ledger.entry_reverse(
                entry=LedgerEntry.objects.get(pk=credit.pk), date=self.today,
                reason="Rejet de la banque", by=self.user,
            )  # fmt: skip
        credit.reversed_on = self.today
        self.follow_plans(contract)

    @precondition(lambda self: self.contracts)
    @rule(index=st.integers(0, 20), instalment=st.sampled_from(["20", "100", "300"]),
          delay=st.integers(0, 40))  # fmt: skip
    def plan(self, index, instalment, delay):
        contract = self.pick(index)
        debt = contract.dated_balance(self.today, self.today)
        active = any(p.status == RepaymentPlanStatus.ACTIF for p in contract.plans)
        count = int((debt / E(instalment)).to_integral_value(rounding=ROUND_CEILING))
        first_due = self.today + datetime.timedelta(days=delay)
        with self.frozen():
            try:
                made = plan_create(
                    contract=SubleaseContract.objects.get(pk=contract.pk), signed_on=self.today,
                    instalment=instalment, first_due_date=first_due, by=self.user,
                )  # fmt: skip
            except ValidationError:
                assert active or debt <= 0 or count > 36
                return
        assert not active and debt > 0 and count <= 36
        schedule, left = [], debt
        for number in range(count):
            amount = min(E(instalment), left)
            left -= amount
            month = first_due.month - 1 + number
            year = first_due.year + month // 12
            day = min(first_due.day, calendar.monthrange(year, month % 12 + 1)[1])
            schedule.append((D(year, month % 12 + 1, day), amount))
        contract.plans.append(Plan(made.pk, self.today, debt, schedule))

    @precondition(lambda self: any(c.running(self.today) for c in self.contracts))
    @rule(index=st.integers(0, 20), days_ago=st.integers(0, 75))
    def exit_late(self, index, days_ago):
        """The household left some days ago; the exit is recorded today."""
        contract = self.pick(index, running=True)
        exit_date = max(self.today - datetime.timedelta(days=days_ago), contract.start)
        model_household = SubleaseContract.objects.get(pk=contract.pk).household
        with self.frozen():
            exit_with_contracts(household=model_household, exit_date=exit_date,
                                destination="logement_social", by=self.user)  # fmt: skip
        contract.end = exit_date
        self.follow_plans(contract)

    @precondition(lambda self: any(c.running(self.today) for c in self.contracts))
    @rule(index=st.integers(0, 20))
    def renew(self, index):
        contract = self.pick(index, running=True)
        with self.frozen():
            contract_renew(contract=SubleaseContract.objects.get(pk=contract.pk),
                           signed_on=self.today, by=self.user,
                           justification="Relogement en cours")  # fmt: skip

    # -- what must hold after every step --

    @invariant()
    def the_database_keeps_one_live_call(self):
        with connection.cursor() as cursor:  # the deferred trigger, checked now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    @invariant()
    def calls_and_balances(self):
        live: dict[int, dict[datetime.date, Decimal]] = {}
        for contract_id, period, debit in LedgerEntry.objects.live_calls().values_list(
            "contract_id", "period", "debit"
        ):
            assert period not in live.setdefault(contract_id, {}), "two live calls"
            live[contract_id][period] = debit
        past = self.today - datetime.timedelta(days=17)
        for contract in self.contracts:
            expected = {m: a for m, (_, a) in contract.calls(self.today).items()}
            assert live.get(contract.pk, {}) == expected
            row = SubleaseContract(pk=contract.pk)
            assert money.contract_balance(row) == contract.balance(self.today)
            assert money.contract_balance(row, at=past) == contract.dated_balance(self.today, past)

    @invariant()
    def plans(self):
        with self.frozen():
            for contract in self.contracts:
                for plan in contract.plans:
                    row = RepaymentPlan.objects.get(pk=plan.pk)
                    assert (row.status, row.closed_on) == (plan.status, plan.closed_on)
                    states = [s.status for s in plan_schedule(row, self.today)]
                    due = E(0)
                    expected = []
                    for day, amount in plan.instalments:
                        due += amount
                        if day > self.today:
                            expected.append("a_venir")
                        else:
                            at_due = contract.corrected_balance(self.today, day)
                            expected.append("honoree" if at_due <= plan.debt - due else "impayee")
                    assert states == expected

    @invariant()
    def cash_of_the_day(self):
        expected = ZERO
        for contract in self.contracts:
            for credit in contract.credits:
                if credit.kind != "paiement":
                    continue
                if credit.date == self.today:
                    expected += credit.amount
                if credit.reversed_on == self.today:
                    expected -= credit.amount
        assert money.takings(self.today).total == expected
        assert money.takings(self.today, with_entries=False).total == expected

    @invariant()
    def debt_figures(self):
        balances = [c.balance(self.today) for c in self.contracts]  # a household, a contract
        assert money.debt_totals()["owed"] == sum((b for b in balances if b > 0), ZERO)
        months, unpaid = self.dispositif.alert_debt_months, self.dispositif.alert_unpaid_calls
        expected = set()
        for contract in self.contracts:
            balance = contract.dated_balance(self.today, self.today)
            if not contract.running(self.today) or balance <= 0:
                continue
            paid = [c.date for c in contract.live_credits() if c.kind in ("paiement", "aide")]
            last = max(paid, default=D(1, 1, 1))
            since = sum(1 for d, _ in contract.calls(self.today).values() if d > last)
            threshold = months * max(contract.rent + contract.charges - contract.caf, E(1))
            if balance >= threshold or since >= unpaid:
                expected.add(contract.pk)
        found = money.in_debt_contracts(self.today).filter(in_debt=True)
        assert set(found.values_list("pk", flat=True)) == expected

    @invariant()
    def report_rent_figures(self):
        start = D(2025, 1, 1)
        with self.frozen():
            rent = _rent(ReportScope(self.dispositif, start, self.today))
        called = sum(
            (a for c in self.contracts for d, a in c.calls(self.today).values() if d >= start),
            ZERO,
        )
        by_kind = {"paiement": ZERO, "apl": ZERO, "aide": ZERO}
        for contract in self.contracts:
            for credit in contract.credits:
                by_kind[credit.kind] += credit.amount
                if credit.reversed_on:
                    by_kind[credit.kind] -= credit.amount
        assert rent["called"] == f"{called:.2f}"
        assert rent["paid_by_household"] == f"{by_kind['paiement']:.2f}"
        assert rent["paid_by_caf"] == f"{by_kind['apl']:.2f}"
        assert rent["paid_by_aids"] == f"{by_kind['aide']:.2f}"
        present = [c for c in self.contracts if c.running(self.today)]
        debts = [b for c in present if (b := c.dated_balance(self.today, self.today)) > 0]
        assert rent["households_in_debt_at_end"] == len(debts)
        assert rent["debt_at_end"] == f"{sum(debts, ZERO):.2f}"

    @invariant()
    def owner_page(self):
        month = first_of(self.today)
        called = {lease.unit.reference: lease.called for lease in owner_leases(month)}
        for unit in {space[0].reference for space in self.world["spaces"].values()}:
            expected = sum(
                (c.calls(self.today).get(month, (None, ZERO))[1]
                 for c in self.contracts if c.unit == unit),
                ZERO,
            )  # fmt: skip
            assert called.get(unit, ZERO) == expected, unit


@pytest.mark.django_db
def test_the_accounts_follow_an_independent_model(org_a, dispositif_a, members_a):
    flat = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="U-FLAT",
                              captation_date=D(2024, 1, 1))  # fmt: skip
    shared = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="U-SHARED",
                                captation_date=D(2024, 1, 1), colocation=True)  # fmt: skip
    for unit in (flat, shared):
        MainLeaseFactory(organisation=org_a, unit=unit, start_date=D(2024, 1, 1))
    rooms = [RoomFactory(organisation=org_a, unit=shared, label=f"Chambre {n}") for n in (1, 2)]
    Accounts.world = {
        "dispositif": dispositif_a,
        "user": members_a["regisseur"].user,
        "spaces": {
            "flat": (flat, None),
            "room-1": (shared, rooms[0]),
            "room-2": (shared, rooms[1]),
        },
        "households": [
            PersonFactory(
                organisation=org_a,
                household__dispositif=dispositif_a,
                household__orientation_date=D(2024, 11, 1),
            ).household
            for _ in range(6)
        ],
    }
    run_state_machine_as_test(
        Accounts,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert LedgerKind.APPEL  # the machine ran (its examples roll back)
