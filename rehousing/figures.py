"""The road out in figures, over a set of households and a period ``[start, end]`` (both days
included): what the annual report's « Parcours de relogement » shows
(``reporting.rehousing_section``), counted in SQL, four queries whatever the households.

The caller gives the households (the report gives its dispositif's, through its own
definitions: every household, those present at ``end``, those exited in the period); the
organisation is the current one (scoped managers and row-level security).

Definitions (all dates are calendar dates; a closing date is the first day closed):

- A demand is **active at D** when it was filed on or before D, is not closed on or before D,
  and lapses after D: its renewal is due a year after its filing or last renewal
  (``HousingDemand.renewal_due``), and it is active until the day before. Counted over the
  households present at ``end``.
- **Proposals received** in the period: ``received_on`` within it. Each falls in one of four
  states, read at ``end`` (an answer dated after ``end`` is still awaited at ``end``):
  **accepted** (the household accepted on or before ``end`` and the commission attributed the
  home in first rank, or the landlord is private: ``Proposal.accepted``), **accepted without
  attribution** (accepted by the household, the commission pending, adjourned, refusing or
  ranking it second or later), **refused** by the household (on or before ``end``, by
  reason) and **awaiting the household's answer** at ``end``.
- **From the first proposal to the exit**: over the households exited in the period that had
  at least one proposal received on or before their exit date, the days from the earliest such
  proposal (whatever became of it) to the exit date.
- **Follow-ups** recorded in the period: ``contacted_on`` within it, per milestone (1, 3 and 6
  months after the exit); at 6 months, the households contacted, and among them those still in
  their home, no longer in it, or whose answer is not recorded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.lookups import GreaterThan

from households.models import Household
from iml.codes import FOLLOW_UP_MONTHS, CalDecision, Parc, ProposalAnswer, RefusalReason
from rehousing.models import DEMAND_LIFETIME, FollowUp, Proposal

# The milestone whose answer (still housed or not) the report shows.
LAST_MILESTONE = max(FOLLOW_UP_MONTHS)


class RenewalDue(Func):
    """``RenewalDue(renewed_on, filed_on)``: the day a demand lapses unless renewed before,
    ``DEMAND_LIFETIME`` after its last renewal or its filing. PostgreSQL adds a year as
    ``relativedelta`` does (29 February 2024 + 1 year = 28 February 2025)."""

    arity = 2
    output_field = DateField()
    template = (
        f"CAST(COALESCE(%(expressions)s) + INTERVAL '{DEMAND_LIFETIME.years} years "
        f"{DEMAND_LIFETIME.months} months {DEMAND_LIFETIME.days} days' AS date)"
    )


def q_demand_active_at(day: datetime.date, prefix: str = "") -> Q:
    """Active at ``day``: filed on or before it, not closed on or before it, not yet lapsed
    (``HousingDemand.is_active`` with the closing date read as a date). ``prefix``: the path to
    the demand (``"housing_demand__"`` on households)."""
    due = RenewalDue(F(f"{prefix}renewed_on"), F(f"{prefix}filed_on"))
    return (
        Q(**{f"{prefix}filed_on__lte": day})
        & (Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": day}))
        & Q(GreaterThan(due, Value(day, output_field=DateField())))
    )


# ``Proposal.accepted`` in SQL: accepted by the household and attributed by the commission in
# first rank, or offered by a private landlord (no commission).
Q_ATTRIBUTED = Q(cal_decision=CalDecision.ATTRIBUEE) | Q(parc=Parc.PRIVE)
Q_ACCEPTED = Q(answer=ProposalAnswer.ACCEPTEE) & Q_ATTRIBUTED


def q_answered_by(day: datetime.date) -> Q:
    """The household's answer (accepted or refused) was given on or before ``day``."""
    return Q(answered_on__lte=day)


@dataclass(frozen=True)
class RehousingCounts:
    present_at_end: int
    demands_active_at_end: int
    proposals_received: int
    proposals_accepted: int
    proposals_accepted_not_attributed: int
    proposals_refused: int
    proposals_waiting: int
    refused_by_reason: dict[str, int]  # every RefusalReason code, in their order
    exited_with_proposal: int
    days_first_proposal_to_exit: int  # the sum over ``exited_with_proposal``
    follow_ups: dict[int, int]  # per milestone (FOLLOW_UP_MONTHS), in order
    last_milestone_contacted: int
    last_milestone_housed: int
    last_milestone_not_housed: int
    last_milestone_unknown: int


def rehousing_counts(
    *,
    households: QuerySet[Household],
    present_at_end: QuerySet[Household],
    exited: QuerySet[Household],
    start: datetime.date,
    end: datetime.date,
) -> RehousingCounts:
    """The counts of the module's definitions, in four queries: ``households`` (all the
    households counted), ``present_at_end`` and ``exited`` (in the period) among them."""
    demands = present_at_end.order_by().aggregate(
        households=Count("pk"),
        active=Count("pk", filter=q_demand_active_at(end, prefix="housing_demand__")),
    )

    answered = q_answered_by(end)
    refused = answered & Q(answer=ProposalAnswer.REFUSEE)
    received: QuerySet[Proposal] = Proposal.objects.filter(
        household__in=households.values("pk"), received_on__range=(start, end)
    )
    proposals: dict[str, Any] = received.order_by().aggregate(
        received=Count("pk"),
        accepted=Count("pk", filter=answered & Q_ACCEPTED),
        accepted_not_attributed=Count(
            "pk", filter=answered & Q(answer=ProposalAnswer.ACCEPTEE) & ~Q_ATTRIBUTED
        ),
        refused=Count("pk", filter=refused),
        waiting=Count("pk", filter=Q(answered_on__isnull=True) | Q(answered_on__gt=end)),
        **{
            f"reason_{code}": Count("pk", filter=refused & Q(refusal_reason=code))
            for code in RefusalReason.values
        },
    )

    first_proposals: QuerySet[Proposal] = Proposal.objects.filter(
        household=OuterRef("pk"), received_on__lte=OuterRef("exit_date")
    )
    first_on = first_proposals.order_by().values("household").annotate(first=Min("received_on"))
    delays = (
        exited.order_by()
        .annotate(first_proposal_on=Subquery(first_on.values("first")))
        .filter(first_proposal_on__isnull=False)
        .aggregate(households=Count("pk"), delay=Sum(F("exit_date") - F("first_proposal_on")))
    )

    recorded: QuerySet[FollowUp] = FollowUp.objects.filter(
        household__in=households.values("pk"), contacted_on__range=(start, end)
    )
    last = Q(months=LAST_MILESTONE)
    follow_ups: dict[str, Any] = recorded.order_by().aggregate(
        **{f"m{months}": Count("pk", filter=Q(months=months)) for months in FOLLOW_UP_MONTHS},
        last_contacted=Count("household", distinct=True, filter=last),
        last_housed=Count("household", distinct=True, filter=last & Q(housed=True)),
        last_not_housed=Count("household", distinct=True, filter=last & Q(housed=False)),
        last_unknown=Count("household", distinct=True, filter=last & Q(housed__isnull=True)),
    )

    delay: datetime.timedelta | None = delays["delay"]
    return RehousingCounts(
        present_at_end=demands["households"],
        demands_active_at_end=demands["active"],
        proposals_received=proposals["received"],
        proposals_accepted=proposals["accepted"],
        proposals_accepted_not_attributed=proposals["accepted_not_attributed"],
        proposals_refused=proposals["refused"],
        proposals_waiting=proposals["waiting"],
        refused_by_reason={code: proposals[f"reason_{code}"] for code in RefusalReason.values},
        exited_with_proposal=delays["households"],
        days_first_proposal_to_exit=delay.days if delay is not None else 0,
        follow_ups={months: follow_ups[f"m{months}"] for months in FOLLOW_UP_MONTHS},
        last_milestone_contacted=follow_ups["last_contacted"],
        last_milestone_housed=follow_ups["last_housed"],
        last_milestone_not_housed=follow_ups["last_not_housed"],
        last_milestone_unknown=follow_ups["last_unknown"],
    )
