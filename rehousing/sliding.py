"""« Glissement envisagé »: the steps before a sublease slides to the household, seen on the
contract and on the household page. Each step is a ``readiness.Check``; the slide is ready when
every one is."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from households.models import Household
from iml.codes import CalDecision, Parc
from rehousing.models import SlidePlan
from rehousing.readiness import Check, money_check
from tenancy.models import SubleaseContract


def _dated(label: str, day: datetime.date | None, missing: str) -> Check:
    return Check(label, day is not None, f"le {day:%d/%m/%Y}" if day else missing)


def _commission(plan: SlidePlan, parc: str) -> Check:
    label = "Commission d’attribution (CAL)"
    if plan.cal_decision == CalDecision.ATTRIBUEE:
        return Check(label, True, f"logement attribué le {plan.cal_on:%d/%m/%Y}")
    if plan.cal_decision != CalDecision.EN_ATTENTE:
        return Check(label, False, f"{plan.get_cal_decision_display()} le {plan.cal_on:%d/%m/%Y}")
    if parc == Parc.PRIVE:
        # A private owner's home has no attribution commission: the owner's consent says it.
        return Check(label, True, "sans objet (logement du parc privé)")
    when = f", prévue le {plan.cal_on:%d/%m/%Y}" if plan.cal_on else ""
    return Check(label, False, f"en attente{when}")


def slide_steps(plan: SlidePlan, contract: SubleaseContract, today: datetime.date) -> list[Check]:
    return [
        _dated("Accord du propriétaire", plan.owner_consent_on, "à obtenir"),
        _commission(plan, contract.unit.parc),
        _dated("Convention tripartite signée", plan.tripartite_on, "à signer"),
        _dated("État des lieux préalable au glissement", plan.pre_exit_inventory_on, "à faire"),
        money_check(contract.household, today),
    ]


def slide_plan_of(contract: SubleaseContract) -> SlidePlan | None:
    """The contract's plan (read with the contract when it was ``select_related``)."""
    try:
        plan: SlidePlan = contract.slide_plan
    except SlidePlan.DoesNotExist:
        return None
    return plan


@dataclass(frozen=True)
class Slide:
    """What the contract and the household pages show of a sublease towards a sliding lease."""

    contract: SubleaseContract
    plan: SlidePlan | None
    steps: list[Check]

    @property
    def ready(self) -> bool:
        return self.plan is not None and all(step.ok for step in self.steps)


def slide_of(contract: SubleaseContract, today: datetime.date) -> Slide | None:
    """None unless the contract is a running sublease of a whole home towards a sliding lease
    (a room does not slide: the main lease covers the whole home)."""
    running = contract.actual_end_date is None and contract.cancelled_at is None
    if not (contract.towards_sliding_lease and running and contract.room_id is None):
        return None
    plan = slide_plan_of(contract)
    return Slide(contract, plan, slide_steps(plan, contract, today) if plan else [])


def household_slide(household: Household, today: datetime.date) -> Slide | None:
    contract = (
        SubleaseContract.objects.filter(household=household, towards_sliding_lease=True,
                                        room__isnull=True, actual_end_date__isnull=True,
                                        cancelled_at__isnull=True)
        .select_related("unit", "household", "slide_plan").first()
    )  # fmt: skip
    return slide_of(contract, today) if contract else None
