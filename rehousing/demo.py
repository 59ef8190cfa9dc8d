"""Demo road out: social-housing demands for most present households (one to renew within the
month), and proposals — one refused (too far), one before the commission, one accepted with
its move-in date, which pre-fills that household's exit. Dates are relative to today.
Idempotent: nothing is added once the organisation has demands."""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from households.models import Household, HouseholdStatus
from iml.codes import CalDecision, ProposalAnswer, RefusalReason
from rehousing.models import HousingDemand, Proposal
from rehousing.services import demand_save, proposal_save


def seed(*, organisation, demo, dispositif, users) -> None:
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
