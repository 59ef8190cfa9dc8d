"""The head's view of the road out, across the organisation: who has been here a year without
a live demand, the proposals awaiting an answer, the refusals of the last year, the stays
beyond 18 months with their justification, and the sliding leases under way. A constant number
of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import OuterRef, QuerySet, Subquery

from households.models import Household
from households.selectors import with_reference_person
from households.stays import STAY_LIMIT
from iml.codes import ProposalAnswer
from rehousing.figures import q_demand_active_at
from rehousing.models import Proposal, SlidePlan
from tenancy.models import Amendment

A_YEAR = relativedelta(years=1)


@dataclass(frozen=True)
class Overview:
    without_demand: list[Household]
    waiting: list[Proposal]
    refused: list[Proposal]
    long_stays: list[Household]
    slides: list[SlidePlan]


def _present(today: datetime.date) -> QuerySet[Household]:
    return with_reference_person(
        Household.objects.present_at(today).select_related("dispositif", "referent")
    )


def overview(today: datetime.date) -> Overview:
    live_demand = q_demand_active_at(today, prefix="housing_demand__")
    without_demand = (
        _present(today).filter(entry_date__lte=today - A_YEAR).exclude(live_demand)
        .order_by("entry_date", "reference")
    )  # fmt: skip
    proposals = Proposal.objects.select_related("household").order_by("received_on", "pk")
    waiting = proposals.filter(answer=ProposalAnswer.EN_ATTENTE,
                               household__in=_present(today).values("pk"))  # fmt: skip
    refused = proposals.filter(answer=ProposalAnswer.REFUSEE, answered_on__gt=today - A_YEAR)
    justification = (
        Amendment.objects.filter(contract__household=OuterRef("pk"), beyond_limit=True)
        .order_by("-signed_on", "-pk")
        .values("justification")[:1]
    )
    long_stays = (
        _present(today).filter(entry_date__lte=today - STAY_LIMIT)
        .annotate(justification=Subquery(justification))
        .order_by("entry_date", "reference")
    )  # fmt: skip
    slides = (
        SlidePlan.objects.filter(
            contract__actual_end_date__isnull=True, contract__cancelled_at__isnull=True
        )
        .select_related("contract__household", "contract__unit")
        .order_by("considered_on", "pk")
    )
    return Overview(list(without_demand), list(waiting), list(refused), list(long_stays),
                    list(slides))  # fmt: skip
