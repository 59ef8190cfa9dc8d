"""Repayment plans (plans d'apurement): signature, schedule, follow-up, closing.

An instalment is honoured when, at its due date, the contract's balance has come down to the
plan's debt minus the instalments due so far: the household pays its current rent *and* the
instalment. Matching against the balance, not against single payments, keeps the rule right
whatever the number, order and kind of payments (household, CAF, FSL). The balance is the
*corrected* one (``tenancy.money.corrected_balance``): a payment reversed later (a cheque that
bounced) did not honour anything.

Plans follow the ledger both ways (``plans_follow``, after every write): a plan is settled
(`solde`) once the balance is down to zero, and reopened when a reversal shows that the
balance on the day it was settled was not.

A missed instalment stays missed (the schedule is history) but the household may catch up:
it is **back on track** when its balance today is at most the target of the last instalment
due, plus the residual rent called since that due date (rent called, less the CAF benefit
received for it, that is not late yet). The alert of a missed instalment lasts while the
household is not back on track (``instalment_alert_candidates``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Subquery, Sum
from django.utils import timezone

from iml.codes import RepaymentPlanStatus
from iml.models import Role, User
from iml.scoping import get_current_organisation_id
from tenancy.amounts import clean_amount
from tenancy.models import Instalment, LedgerEntry, RepaymentPlan, SubleaseContract
from tenancy.money import SIGNED, contract_balance, corrected_balance

MAX_INSTALMENTS = 36


def instalment_count(debt: Decimal, instalment: Decimal) -> int:
    """How many equal monthly instalments repay ``debt`` (the last one takes the remainder)."""
    return int((debt / instalment).to_integral_value(rounding=ROUND_CEILING))


def instalment_due(first_due_date: datetime.date, number: int) -> datetime.date:
    """The due date of instalment ``number`` (from 1): one a month from the first."""
    due: datetime.date = first_due_date + relativedelta(months=number - 1)
    return due


@transaction.atomic
def plan_create(
    *,
    contract: SubleaseContract,
    signed_on: datetime.date,
    instalment: Decimal | str,
    first_due_date: datetime.date,
    by: User,
    note: str = "",
) -> RepaymentPlan:
    """A plan for the contract's debt at signature, repaid by equal monthly instalments (the
    last one takes the remainder)."""
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    instalment = clean_amount(instalment, "instalment")
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "La date de signature ne peut pas être future."})
    if first_due_date < signed_on:
        raise ValidationError(
            {"first_due_date": "La première échéance ne peut précéder la signature."}
        )
    if RepaymentPlan.objects.filter(contract=contract, status=RepaymentPlanStatus.ACTIF).exists():
        raise ValidationError("Ce contrat a déjà un plan d’apurement actif.")
    debt = contract_balance(contract, at=signed_on)
    if debt <= 0:
        raise ValidationError("Le ménage n’a pas de dette à cette date : pas de plan possible.")
    count = instalment_count(debt, instalment)
    if count > MAX_INSTALMENTS:
        raise ValidationError(
            {
                "instalment": f"Avec cette mensualité, le plan durerait {count} mois "
                f"(au plus {MAX_INSTALMENTS}) : augmentez-la."
            }
        )
    plan = RepaymentPlan(
        organisation_id=contract.organisation_id,
        contract=contract,
        signed_on=signed_on,
        debt=debt,
        instalment=instalment,
        first_due_date=first_due_date,
        note=note.strip(),
        created_by=by,
    )
    plan.full_clean()
    plan.save()
    schedule, remaining = [], debt
    for number in range(1, count + 1):
        amount = min(instalment, remaining)
        remaining -= amount
        schedule.append(
            Instalment(
                organisation_id=plan.organisation_id,
                plan=plan,
                number=number,
                due_date=instalment_due(first_due_date, number),
                amount=amount,
            )
        )
    Instalment.objects.bulk_create(schedule)
    return plan


@dataclass(frozen=True)
class InstalmentState:
    instalment: Instalment
    target: Decimal  # the balance the household must be at or under on the due date
    balance: Decimal | None  # its balance on the due date (None: not yet due)

    @property
    def status(self) -> str:
        if self.balance is None:
            return "a_venir"
        return "honoree" if self.balance <= self.target else "impayee"

    @property
    def label(self) -> str:
        return {"a_venir": "à venir", "honoree": "honorée", "impayee": "impayée"}[self.status]

    @property
    def shortfall(self) -> Decimal:
        if self.balance is None:
            return Decimal("0")
        return max(Decimal("0"), self.balance - self.target)


def plan_schedule(plan: RepaymentPlan, today: datetime.date | None = None) -> list[InstalmentState]:
    """Each instalment with the (corrected) balance at its due date: one query."""
    today = today or timezone.localdate()
    balance_at_due = (
        LedgerEntry.objects.filter(contract_id=plan.contract_id, date__lte=OuterRef("due_date"))
        .live()
        .order_by()
        .values("contract_id")
        .annotate(b=Sum(SIGNED))
        .values("b")
    )
    instalments = plan.instalments.annotate(balance_at=Subquery(balance_at_due)).order_by("number")
    states, due = [], Decimal("0")
    for instalment in instalments:
        due += instalment.amount
        balance = instalment.balance_at or Decimal("0")
        states.append(
            InstalmentState(
                instalment=instalment,
                target=plan.debt - due,
                balance=balance if instalment.due_date <= today else None,
            )
        )
    return states


REOPENED = (
    "Rouvert le {on:%d/%m/%Y} : une écriture annulée depuis montre que la dette n’était pas "
    "soldée le {closed:%d/%m/%Y}."
)


def plans_follow(*, contract: SubleaseContract, on: datetime.date | None = None) -> None:
    """After any write to the contract's ledger (dated ``on``): the active plan is settled
    once the balance is down to zero; the last plan, settled, is reopened when the balance on
    the day it was settled, corrected for the entries reversed since, was a debt after all.
    A broken plan (`rompu`) stays broken."""
    on = on or timezone.localdate()
    plans = RepaymentPlan.objects.select_for_update().filter(contract=contract)
    active = plans.filter(status=RepaymentPlanStatus.ACTIF).first()
    entries = LedgerEntry.objects.filter(contract=contract)
    if active is None:
        last = plans.order_by("-signed_on", "-pk").first()
        if last is None or last.status != RepaymentPlanStatus.SOLDE:
            return
        if corrected_balance(entries, at=last.closed_on) <= 0:
            return
        last.note = "\n".join(
            filter(None, [last.note, REOPENED.format(on=on, closed=last.closed_on)])
        )
        last.status, last.closed_on = RepaymentPlanStatus.ACTIF, None
        last.save(update_fields=["status", "closed_on", "note"])
        active = last
    if contract_balance(contract) <= 0:
        # Settled on a day no entry follows: its corrected balance is the one just read, and
        # only a later reversal can change it.
        last_entry = entries.aggregate(last=Max("date"))["last"] or on
        active.status = RepaymentPlanStatus.SOLDE
        active.closed_on = max(on, active.signed_on, last_entry)
        active.save(update_fields=["status", "closed_on"])


@transaction.atomic
def plan_break(*, plan: RepaymentPlan, on: datetime.date, reason: str, by: User) -> RepaymentPlan:
    """The household no longer keeps to the plan: it is marked `rompu` (a new plan, or a
    CCAPEX referral, may follow)."""
    plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != RepaymentPlanStatus.ACTIF:
        raise ValidationError("Ce plan n’est plus actif.")
    if not reason.strip():
        raise ValidationError({"reason": "Indiquez pourquoi le plan est rompu."})
    if on < plan.signed_on:
        raise ValidationError({"on": "La rupture ne peut précéder la signature."})
    plan.status = RepaymentPlanStatus.ROMPU
    plan.closed_on = on
    plan.note = (plan.note + "\n" if plan.note else "") + f"Rompu le {on:%d/%m/%Y} : {reason}"
    plan.save(update_fields=["status", "closed_on", "note"])
    return plan


# Live entries (neither reversals nor reversed: ``LedgerEntryQuerySet.live``) of the
# contracts under an active plan only: the CTE is read three times, hence materialised, and
# the organisation's whole ledger would be (measured: most of the alert job's time).
_LIVE = """
    SELECT e.contract_id, e.date, e.kind, e.debit, e.credit FROM tenancy_ledgerentry e
    WHERE e.organisation_id = %(organisation)s AND e.date <= %(today)s
      AND e.contract_id IN (SELECT contract_id FROM plans)
      AND e.kind <> 'annulation'
      AND NOT EXISTS (SELECT 1 FROM tenancy_ledgerentry r WHERE r.reverses_id = e.id)
"""

_MISSED_SQL = f"""
WITH plans AS (
    SELECT p.id AS plan_id, p.contract_id, p.debt, c.household_id,
           d.alert_instalment_grace_days AS grace
    FROM tenancy_repaymentplan p
    JOIN tenancy_subleasecontract c ON c.id = p.contract_id
    JOIN households_household h ON h.id = c.household_id
    JOIN iml_dispositif d ON d.id = h.dispositif_id
    WHERE p.organisation_id = %(organisation)s AND p.status = 'actif'
),
live AS ({_LIVE}),
due AS (
    SELECT i.plan_id, i.number, i.due_date,
           plans.debt - sum(i.amount) OVER (PARTITION BY i.plan_id ORDER BY i.number) AS target,
           row_number() OVER (PARTITION BY i.plan_id ORDER BY i.number DESC) AS from_last
    FROM tenancy_instalment i JOIN plans ON plans.plan_id = i.plan_id
    WHERE i.due_date <= %(today)s
),
missed AS (
    SELECT due.*, plans.contract_id, plans.household_id, plans.grace
    FROM due JOIN plans ON plans.plan_id = due.plan_id
    WHERE due.due_date + plans.grace < %(today)s
      AND (SELECT COALESCE(sum(debit - credit), 0) FROM live
           WHERE live.contract_id = plans.contract_id AND live.date <= due.due_date)
          > due.target
),
on_track AS (
    SELECT last.plan_id
    FROM due AS last JOIN plans ON plans.plan_id = last.plan_id
    WHERE last.from_last = 1
      AND (SELECT COALESCE(sum(debit - credit), 0) FROM live
           WHERE live.contract_id = plans.contract_id)
          <= last.target
             + (SELECT COALESCE(sum(debit) FILTER (WHERE kind = 'appel'), 0)
                       - COALESCE(sum(credit) FILTER (WHERE kind = 'apl'), 0)
                FROM live
                WHERE live.contract_id = plans.contract_id AND live.date > last.due_date)
)
SELECT plan_id, household_id, number, due_date FROM missed
WHERE plan_id NOT IN (SELECT plan_id FROM on_track)
ORDER BY plan_id, number
"""


def instalment_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    """The missed-instalment alerts' candidates (``alerts.job``): every instalment of an
    active plan missed more than the dispositif's grace days ago, while the household is not
    back on track. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_MISSED_SQL, {"organisation": get_current_organisation_id(), "today": today})
        rows = cursor.fetchall()
    return [
        {
            "subject_id": plan_id,
            "household_id": household_id,
            "milestone": str(number),
            "due_date": due_date,
            "level": "overdue",
            "assignee_id": None,
            "assignee_role": Role.REGISSEUR.value,
        }
        for plan_id, household_id, number, due_date in rows
    ]
