"""« Prêt à sortir ? »: what the social worker and the head look at together before a
household leaves for a home of its own — a live demand, no debt (or a plan kept three months),
the support's objectives reached, valid papers, a proposal under way."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from households.models import Household
from iml.codes import ProposalAnswer, RepaymentPlanStatus
from iml.formats import euros
from papers.selectors import paper_gaps
from rehousing.models import HousingDemand, Proposal
from support.models import ObjectiveStatus, SupportObjective
from tenancy.models import RepaymentPlan
from tenancy.money import household_balance
from tenancy.plans import plan_schedule

PLAN_KEPT = relativedelta(months=3)


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str


def _demand(household: Household, today: datetime.date) -> Check:
    label = "Demande de logement social active"
    demand = HousingDemand.objects.filter(household=household).first()
    if demand is None:
        return Check(label, False, "aucune demande enregistrée")
    if demand.closed_on is not None:
        return Check(label, False, f"close le {demand.closed_on:%d/%m/%Y}")
    if not demand.is_active(today):
        return Check(label, False, f"radiée depuis le {demand.renewal_due:%d/%m/%Y}")
    return Check(label, True, f"à renouveler avant le {demand.renewal_due:%d/%m/%Y}")


def money_check(household: Household, today: datetime.date) -> Check:
    label = "Dette soldée, ou plan d’apurement tenu depuis trois mois"
    owed = household_balance(household, today)
    if owed <= 0:
        return Check(label, True, "compte à jour")
    plans = RepaymentPlan.objects.filter(contract__household=household,
                                         status=RepaymentPlanStatus.ACTIF)  # fmt: skip
    for plan in plans:
        states = plan_schedule(plan, today)
        kept = all(state.status != "impayee" for state in states)
        if kept and plan.signed_on <= today - PLAN_KEPT:
            return Check(label, True, f"dette de {euros(owed)}, plan tenu depuis le "
                                      f"{plan.signed_on:%d/%m/%Y}")  # fmt: skip
    return Check(label, False, f"dette de {euros(owed)}")


def _objectives(household: Household) -> Check:
    label = "Objectifs d’accompagnement atteints"
    statuses = list(
        SupportObjective.objects.filter(contract__household=household).values_list(
            "status", flat=True
        )
    )
    if not statuses:
        return Check(label, False, "aucun objectif fixé")
    running = statuses.count(ObjectiveStatus.EN_COURS)
    if running:
        return Check(label, False, f"{running} objectif{'s' if running > 1 else ''} en cours")
    return Check(label, True, f"{statuses.count(ObjectiveStatus.ATTEINT)} atteint(s)")


def _papers(household: Household, today: datetime.date) -> Check:
    label = "Pièces valides"
    expired, missing = paper_gaps(household, today)
    problems = [f"expirée : {name}" for name in expired] + [f"manque : {m}" for m in missing]
    return Check(label, not problems, " ; ".join(problems) or "à jour")


def _proposal(household: Household) -> Check:
    label = "Proposition de logement en cours"
    proposals = list(Proposal.objects.filter(household=household).order_by("-received_on"))
    accepted = next((p for p in proposals if p.accepted), None)
    if accepted is not None:
        return Check(label, True, f"acceptée : {accepted}")
    waiting = [p for p in proposals if p.answer == ProposalAnswer.EN_ATTENTE]
    if waiting:
        return Check(label, True, f"en attente : {waiting[0]}")
    return Check(label, False, "aucune" if not proposals else "aucune en cours")


def readiness(household: Household, today: datetime.date) -> list[Check]:
    return [
        _demand(household, today),
        money_check(household, today),
        _objectives(household),
        _papers(household, today),
        _proposal(household),
    ]
