"""Demo road out: social-housing demands for most present households (one to renew within the
month), and proposals — one refused (too far), one before the commission, one accepted with
its move-in date, which pre-fills that household's exit. Dates are relative to today.
Idempotent: nothing is added once the organisation has demands."""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from households.models import Household, HouseholdStatus
from iml.codes import CalDecision, MeasureKind, ProposalAnswer, RefusalReason
from rehousing.models import HousingDemand, Measure, Proposal, SlidePlan
from rehousing.services import (
    demand_save,
    follow_up_record,
    measure_save,
    proposal_save,
    slide_plan_save,
)
from tenancy.models import SubleaseContract


def seed(*, organisation, demo, dispositif, users) -> None:
    _measures_and_follow_ups(dispositif, users)
    _sliding_lease(dispositif, users)
    if HousingDemand.objects.exists():
        return
    today = timezone.localdate()
    worker = users["social_worker"]
    present = [h for h in Household.objects.filter(dispositif=dispositif).order_by("reference")
               if h.status == HouseholdStatus.PRESENT]  # fmt: skip
    for number, household in enumerate(present[:8]):
        filed = max(household.entry_date or today, today - relativedelta(months=11, days=10))
        if number:
            filed = min(today, (household.entry_date or today) + datetime.timedelta(days=30))
        nur = f"080{filed:%y%m}000{number + 1:05d}"
        demand_save(household=household, by=worker, number=nur, filed_on=filed,
                    communes="Amiens, Abbeville",
                    typologies=["t2", "t3"] if number % 2 else ["t3"],
                    syplo_on=filed if number % 3 == 0 else None)  # fmt: skip
    plans = [
        (ProposalAnswer.REFUSEE, CalDecision.ATTRIBUEE, RefusalReason.TROP_LOIN, None),
        (ProposalAnswer.EN_ATTENTE, CalDecision.EN_ATTENTE, "", None),
        (ProposalAnswer.ACCEPTEE, CalDecision.ATTRIBUEE, "", today + datetime.timedelta(days=14)),
    ]
    for household, (answer, decision, reason, move_in) in zip(present[1:4], plans, strict=False):
        received = today - datetime.timedelta(days=40)
        proposal_save(proposal=Proposal(
            household=household, landlord="OPAC de la Somme", address="14 rue des Tilleuls",
            city="Amiens", typology="t3", rent=520, received_on=received,
            cal_on=received + datetime.timedelta(days=15) if decision != CalDecision.EN_ATTENTE
            else today + datetime.timedelta(days=10),
            cal_decision=decision, answer=answer,
            answered_on=received + datetime.timedelta(days=20)
            if answer != ProposalAnswer.EN_ATTENTE else None,
            refusal_reason=reason, move_in_on=move_in,
        ), by=worker)  # fmt: skip


def _measures_and_follow_ups(dispositif, users) -> None:
    """An ASLL for a present household, an AVDL with its handover and a follow-up a month after
    for a household that left (idempotent on its own: added once)."""
    if Measure.objects.exists():
        return
    today = timezone.localdate()
    worker = users["social_worker"]
    households = Household.objects.filter(dispositif=dispositif).order_by("reference")
    present = next((h for h in households if h.status == HouseholdStatus.PRESENT), None)
    if present is not None and present.entry_date:
        start = max(present.entry_date, today - relativedelta(months=2))
        asll = Measure(household=present, kind=MeasureKind.ASLL, start_on=start,
                       funder="Conseil départemental")  # fmt: skip
        measure_save(measure=asll, by=worker)
    left = [h for h in households if h.status == HouseholdStatus.EXITED and h.exit_date
            and h.exit_date <= today - relativedelta(months=1)]  # fmt: skip
    if left:
        household = left[-1]
        exit_date = household.exit_date
        avdl = Measure(household=household, kind=MeasureKind.AVDL, funder="DDETS",
                       start_on=exit_date, handover_on=exit_date + relativedelta(months=1),
                       handover_to="Service social de secteur")  # fmt: skip
        measure_save(measure=avdl, by=worker)
        follow_up_record(household=household, months=1, by=worker,
                         contacted_on=exit_date + relativedelta(months=1), housed=True,
                         debts=False)  # fmt: skip


def _sliding_lease(dispositif, users) -> None:
    """The last running whole-home sublease becomes one towards a sliding lease, its slide
    considered two months ago with the owner's consent given (idempotent: added once)."""
    if SlidePlan.objects.exists():
        return
    today = timezone.localdate()
    contract = (
        SubleaseContract.objects.filter(unit__dispositif=dispositif, room__isnull=True,
                                        actual_end_date__isnull=True, cancelled_at__isnull=True,
                                        start_date__lte=today - relativedelta(months=3))
        .order_by("-start_date", "-pk").first()
    )  # fmt: skip
    if contract is None:
        return
    SubleaseContract.objects.filter(pk=contract.pk).update(towards_sliding_lease=True)
    contract.refresh_from_db()
    considered = today - relativedelta(months=2)
    slide_plan_save(contract=contract, by=users["social_worker"], considered_on=considered,
                    planned_on=today + relativedelta(months=4),
                    owner_consent_on=considered + datetime.timedelta(days=10),
                    note="Le propriétaire accepte le glissement ; CAL à demander.")  # fmt: skip
