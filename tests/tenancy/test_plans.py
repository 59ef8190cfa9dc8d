"""Repayment plans: schedule from the debt at signature, instalments honoured against the
balance, closing when settled, breaking."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from iml.codes import PaymentMethod, RepaymentPlanStatus
from tenancy import ledger
from tenancy.calls import issue_rent_calls
from tenancy.models import RepaymentPlan
from tenancy.plans import plan_break, plan_create, plan_schedule

D = datetime.date
E = Decimal


def pay(contract, day, amount, user):
    with freeze_time(day):
        return ledger.payment_record(contract=contract, date=day, amount=amount,
                                     method=PaymentMethod.VIREMENT, by=user)  # fmt: skip


@freeze_time("2025-06-20")
def test_schedule_splits_the_debt_and_the_last_instalment_takes_the_remainder(
    running_contract, head_a
):
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="400",
                       first_due_date=D(2025, 7, 10), by=head_a.user)  # fmt: skip
    assert plan.debt == E("1669.35")  # the balance at signature
    rows = list(plan.instalments.values_list("number", "due_date", "amount"))
    assert rows == [
        (1, D(2025, 7, 10), E("400.00")),
        (2, D(2025, 8, 10), E("400.00")),
        (3, D(2025, 9, 10), E("400.00")),
        (4, D(2025, 10, 10), E("400.00")),
        (5, D(2025, 11, 10), E("69.35")),
    ]


@freeze_time("2025-06-20")
def test_plan_refused_without_debt_or_twice_or_too_long(running_contract, head_a):
    with pytest.raises(ValidationError, match="au plus 36"):
        plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="10",
                    first_due_date=D(2025, 7, 10), by=head_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="précéder la signature"):
        plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="100",
                    first_due_date=D(2025, 6, 1), by=head_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="pas de dette"):
        plan_create(contract=running_contract, signed_on=D(2025, 3, 9), instalment="100",
                    first_due_date=D(2025, 4, 1), by=head_a.user)  # fmt: skip
    plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="500",
                first_due_date=D(2025, 7, 10), by=head_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="déjà un plan"):
        plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="500",
                    first_due_date=D(2025, 7, 10), by=head_a.user)  # fmt: skip
    assert RepaymentPlan.objects.count() == 1


def test_the_database_allows_one_active_plan_per_contract(running_contract):
    fields = {"contract": running_contract, "signed_on": D(2025, 6, 1), "debt": E("100"),
                  "instalment": E("50"), "first_due_date": D(2025, 7, 1)}  # fmt: skip
    RepaymentPlan.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        RepaymentPlan.objects.create(**fields)


def test_instalments_are_honoured_or_missed_by_the_balance_at_their_due_date(
    running_contract, head_a
):
    with freeze_time("2025-06-20"):
        plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 20),
                           instalment="600", first_due_date=D(2025, 7, 10),
                           by=head_a.user)  # fmt: skip
    issue_rent_calls(organisation_id=running_contract.organisation_id,
                            months=[D(2025, 7, 1), D(2025, 8, 1)])  # fmt: skip
    # July: residual rent 450 + instalment 600 paid by the 10th → honoured.
    pay(running_contract, D(2025, 7, 8), "1050", head_a.user)
    # August: only the rent → missed by 600.
    pay(running_contract, D(2025, 8, 5), "450", head_a.user)
    schedule = plan_schedule(plan, today=D(2025, 8, 20))
    assert [(s.status, s.shortfall) for s in schedule] == [
        ("honoree", 0),
        ("impayee", E("600.00")),
        ("a_venir", 0),
    ]
    assert schedule[0].balance == E("1069.35") and schedule[0].target == E("1069.35")


@freeze_time("2025-06-20")
def test_plan_closes_as_settled_when_the_debt_is_paid(running_contract, head_a):
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="900",
                       first_due_date=D(2025, 7, 10), by=head_a.user)  # fmt: skip
    pay(running_contract, D(2025, 6, 20), "1000", head_a.user)
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.ACTIF
    pay(running_contract, D(2025, 6, 20), "669.35", head_a.user)
    plan.refresh_from_db()
    assert (plan.status, plan.closed_on) == (RepaymentPlanStatus.SOLDE, D(2025, 6, 20))


@freeze_time("2025-06-20")
def test_a_broken_plan_is_closed_with_its_reason_and_a_new_one_may_follow(running_contract, head_a):
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 1), instalment="900",
                       first_due_date=D(2025, 6, 10), by=head_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="pourquoi"):
        plan_break(plan=plan, on=D(2025, 6, 20), reason="", by=head_a.user)
    plan_break(plan=plan, on=D(2025, 6, 20), reason="Deux échéances impayées", by=head_a.user)
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.ROMPU and "Deux échéances" in plan.note
    with pytest.raises(ValidationError, match="plus actif"):
        plan_break(plan=plan, on=D(2025, 6, 20), reason="x", by=head_a.user)
    plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="900",
                first_due_date=D(2025, 7, 10), by=head_a.user)  # fmt: skip


# --- Plans follow the ledger both ways --------------------------------------------------------


@freeze_time("2025-06-20")
def test_reversing_the_payment_that_settled_a_plan_reopens_it(running_contract, head_a, client):
    # Debt 1 669.35 at signature; instalments of 600 from 1 July.
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="600",
                       first_due_date=D(2025, 7, 1), by=head_a.user)  # fmt: skip
    settling = pay(running_contract, D(2025, 6, 20), "1669.35", head_a.user)
    plan.refresh_from_db()
    assert (plan.status, plan.closed_on) == (RepaymentPlanStatus.SOLDE, D(2025, 6, 20))
    ledger.entry_reverse(entry=settling, date=D(2025, 6, 20), reason="Chèque sans provision",
                         by=head_a.user)  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.ACTIF and plan.closed_on is None
    assert "Rouvert le 20/06/2025" in plan.note
    # The dashboard counts it among the active plans again.
    assert RepaymentPlan.objects.filter(status=RepaymentPlanStatus.ACTIF).count() == 1
    with freeze_time("2025-07-02"):
        states = [s.status for s in plan_schedule(plan)]
    assert states == ["impayee", "a_venir", "a_venir"]
    # Paid again: settled again.
    pay(running_contract, D(2025, 6, 20), "1669.35", head_a.user)
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.SOLDE


@freeze_time("2025-06-20")
def test_a_reversed_payment_that_settled_nothing_leaves_the_plan_settled(running_contract, head_a):
    """A new debt after the plan was settled is not the plan's: it stays settled."""
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="600",
                       first_due_date=D(2025, 7, 1), by=head_a.user)  # fmt: skip
    pay(running_contract, D(2025, 6, 20), "1669.35", head_a.user)
    with freeze_time("2025-07-20"):
        issue_rent_calls(organisation_id=running_contract.organisation_id, months=[D(2025, 7, 1)])
        later = ledger.payment_record(contract=running_contract, date=D(2025, 7, 15),
                                      amount="100", method=PaymentMethod.ESPECES,
                                      by=head_a.user)  # fmt: skip
        ledger.entry_reverse(entry=later, date=D(2025, 7, 16), reason="Erreur de ménage",
                             by=head_a.user)  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.SOLDE


@freeze_time("2025-06-20")
def test_a_broken_plan_stays_broken_whatever_the_ledger(running_contract, head_a):
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 20), instalment="600",
                       first_due_date=D(2025, 7, 1), by=head_a.user)  # fmt: skip
    plan_break(plan=plan, on=D(2025, 6, 20), reason="Rupture", by=head_a.user)
    pay(running_contract, D(2025, 6, 20), "1669.35", head_a.user)
    plan.refresh_from_db()
    assert plan.status == RepaymentPlanStatus.ROMPU


@freeze_time("2025-06-20")
def test_a_bounced_payment_honours_no_instalment(running_contract, head_a):
    """Instalments are judged on the corrected balance: a payment reversed later did not
    honour the instalment it seemed to."""
    plan = plan_create(contract=running_contract, signed_on=D(2025, 6, 1), instalment="600",
                       first_due_date=D(2025, 6, 10), by=head_a.user)  # fmt: skip
    payment = pay(running_contract, D(2025, 6, 5), "600", head_a.user)
    assert next(s.status for s in plan_schedule(plan)) == "honoree"
    ledger.entry_reverse(entry=payment, date=D(2025, 6, 18), reason="Rejet", by=head_a.user)
    assert next(s.status for s in plan_schedule(plan)) == "impayee"
