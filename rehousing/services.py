"""Recording the road out: the demand (filed, renewed, closed) and the proposals (the
commission's decision, the household's answer). Checked here and by the database."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from households.models import Household, HouseholdStatus
from iml.codes import FOLLOW_UP_MONTHS, CalDecision, ProposalAnswer
from iml.models import User
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal, SlidePlan
from tenancy.models import SubleaseContract

FOLLOWED = (HouseholdStatus.ORIENTED, HouseholdStatus.PRESENT)


def _past(day: datetime.date | None, field: str, label: str) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError({field: f"La date {label} ne peut pas être future."})


def _followed(household: Household) -> None:
    if household.status not in FOLLOWED:
        raise ValidationError(
            f"Le ménage est « {household.get_status_display()} » : sa demande et ses "
            "propositions ne se modifient plus."
        )


@transaction.atomic
def demand_save(*, household: Household, by: User, **fields: Any) -> HousingDemand:
    """The household's demand, recorded or corrected (one per household)."""
    _followed(household)
    demand = HousingDemand.objects.filter(household=household).select_for_update().first()
    demand = demand or HousingDemand(household=household, organisation_id=household.organisation_id)
    for name, value in fields.items():
        setattr(demand, name, value.strip() if isinstance(value, str) else value)
    _past(demand.filed_on, "filed_on", "de dépôt")
    _past(demand.renewed_on, "renewed_on", "de renouvellement")
    _past(demand.closed_on, "closed_on", "de clôture")
    _past(demand.syplo_on, "syplo_on", "d’inscription au SYPLO")
    _past(demand.dalo_on, "dalo_on", "de reconnaissance DALO")
    demand.updated_by = by
    demand.full_clean()
    demand.save()
    return demand


@transaction.atomic
def proposal_save(*, proposal: Proposal, by: User) -> Proposal:
    """A proposal, new or brought up to date (the commission, the household's answer)."""
    _followed(proposal.household)
    _past(proposal.received_on, "received_on", "de la proposition")
    _past(proposal.answered_on, "answered_on", "de la réponse")
    not_sat = proposal.cal_on is not None and proposal.cal_on > timezone.localdate()
    if not_sat and proposal.cal_decision != CalDecision.EN_ATTENTE:
        raise ValidationError(
            {"cal_decision": "La commission n’a pas encore siégé : sa décision est "
                             "« en attente »."}
        )  # fmt: skip
    if proposal.answer == ProposalAnswer.EN_ATTENTE:
        proposal.answered_on = None
    elif proposal.answered_on is None:
        proposal.answered_on = timezone.localdate()
    if proposal.answer != ProposalAnswer.REFUSEE:
        proposal.refusal_reason = ""
    elif not proposal.refusal_reason:
        raise ValidationError({"refusal_reason": "Indiquez pourquoi le ménage refuse."})
    if proposal.pk is None:
        proposal.created_by = by
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def measure_save(*, measure: Measure, by: User) -> Measure:
    """A support measure, during the stay or after it (not for a withdrawn household)."""
    household = measure.household
    if household.status == HouseholdStatus.WITHDRAWN or household.anonymised_at:
        raise ValidationError("Ce ménage n’est plus suivi : aucune mesure ne s’y ajoute.")
    _past(measure.start_on if measure.pk is None else None, "start_on", "de début")
    _past(measure.handover_on, "handover_on", "du passage de relais")
    if measure.pk is None:
        measure.created_by = by
    measure.full_clean()
    measure.save()
    return measure


@transaction.atomic
def follow_up_record(*, household: Household, months: int, by: User, **fields: Any) -> FollowUp:
    """A contact after the exit (1, 3 or 6 months): recorded once, corrected after."""
    household = Household.objects.get(pk=household.pk)  # its exit as committed, not as passed
    if household.status != HouseholdStatus.EXITED or household.exit_date is None:
        raise ValidationError("Le suivi après la sortie concerne un ménage sorti.")
    if months not in FOLLOW_UP_MONTHS:
        raise ValidationError("Les suivis après la sortie sont à 1, 3 et 6 mois.")
    follow_up = FollowUp.objects.filter(household=household, months=months).first()
    follow_up = follow_up or FollowUp(household=household, months=months, created_by=by,
                                      organisation_id=household.organisation_id)  # fmt: skip
    for name, value in fields.items():
        setattr(follow_up, name, value.strip() if isinstance(value, str) else value)
    _past(follow_up.contacted_on, "contacted_on", "du contact")
    if follow_up.contacted_on < household.exit_date:
        raise ValidationError({"contacted_on": "Le contact suit la sortie "
                                               f"({household.exit_date:%d/%m/%Y})."})  # fmt: skip
    follow_up.full_clean()
    follow_up.save()
    return follow_up


# The steps' dates are past (the consent given, the agreement signed); the slide's is planned.
SLIDE_PAST = {
    "considered_on": "du début du glissement envisagé",
    "owner_consent_on": "de l’accord du propriétaire",
    "tripartite_on": "de la convention tripartite",
    "pre_exit_inventory_on": "de l’état des lieux",
}


@transaction.atomic
def slide_plan_save(*, contract: SubleaseContract, by: User, **fields: Any) -> SlidePlan:
    """The « glissement envisagé » of a running sublease towards a sliding lease, recorded or
    brought up to date step by step."""
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    if not contract.towards_sliding_lease:
        raise ValidationError("Ce contrat n’est pas une sous-location en vue d’un bail glissant.")
    if contract.room_id is not None:
        raise ValidationError(
            "Seul un logement entier glisse : le bail principal couvre tout le logement."
        )
    if contract.cancelled_at is not None or contract.actual_end_date is not None:
        raise ValidationError("Ce contrat a pris fin : son glissement ne se prépare plus.")
    plan = SlidePlan.objects.filter(contract=contract).first()
    plan = plan or SlidePlan(contract=contract, organisation_id=contract.organisation_id)
    for name, value in fields.items():
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    for name, label in SLIDE_PAST.items():
        _past(getattr(plan, name), name, label)
    if plan.considered_on < contract.start_date:
        raise ValidationError(
            {"considered_on": "Le glissement s’envisage pendant la sous-location (depuis le "
                              f"{contract.start_date:%d/%m/%Y})."}
        )  # fmt: skip
    decided = plan.cal_decision != CalDecision.EN_ATTENTE
    if decided and (plan.cal_on is None or plan.cal_on > timezone.localdate()):
        raise ValidationError(
            {"cal_on": "Une décision de la commission a la date, passée, où elle a siégé."}
        )
    plan.updated_by = by
    plan.full_clean()
    plan.save()
    return plan
