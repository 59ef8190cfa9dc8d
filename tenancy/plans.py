"""Repayment plans (plans d'apurement): signature, schedule, follow-up, closing.

An instalment is honoured when, at its due date, the contract's balance has come down to the
plan's debt minus the instalments due so far: the household pays its current rent *and* the
instalment. Matching against the balance, not against single payments, keeps the rule right
whatever the number, order and kind of payments (household, CAF, FSL).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from iml.codes import RepaymentPlanStatus
from iml.models import User
from tenancy.ledger import clean_amount
from tenancy.models import Instalment, LedgerEntry, RepaymentPlan, SubleaseContract
from tenancy.selectors import contract_balance

MAX_INSTALMENTS = 36


@transaction.atomic
def plan_create(
    *,
    contract: SubleaseContract,
    signed_on: datetime.date,
    instalment,
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
    count = int((debt / instalment).to_integral_value(rounding=ROUND_CEILING))
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
                due_date=first_due_date + relativedelta(months=number - 1),
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
    """Each instalment with the balance at its due date: one query."""
    today = today or timezone.localdate()
    balance_at_due = (
        LedgerEntry.objects.filter(contract_id=plan.contract_id, date__lte=OuterRef("due_date"))
        .order_by()
        .values("contract_id")
        .annotate(b=Coalesce(Sum("debit"), Decimal(0)) - Coalesce(Sum("credit"), Decimal(0)))
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


def plans_refresh(*, contract: SubleaseContract, today: datetime.date | None = None) -> None:
    """Close the contract's active plan as `solde` once its balance is settled."""
    today = today or timezone.localdate()
    plan = RepaymentPlan.objects.filter(contract=contract, status=RepaymentPlanStatus.ACTIF).first()
    if plan is not None and contract_balance(contract) <= 0:
        plan.status = RepaymentPlanStatus.SOLDE
        plan.closed_on = max(today, plan.signed_on)
        plan.save(update_fields=["status", "closed_on"])


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
