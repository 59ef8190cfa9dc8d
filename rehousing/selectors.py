"""What the pages show of the road out, and the exit an accepted proposal leads to."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

from households.models import Household
from iml.codes import FOLLOW_UP_MONTHS, ExitDestination, Parc
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal


@dataclass(frozen=True)
class FollowUpRow:
    months: int
    due: datetime.date
    done: FollowUp | None


@dataclass(frozen=True)
class Rehousing:
    demand: HousingDemand | None
    demand_active: bool
    proposals: list[Proposal]
    measures: list[Measure]
    follow_ups: list[FollowUpRow]  # after an exit only
    # The home it left for: after an exit, the latest proposal accepted (the exit is recorded
    # from it, ``exit_prefill``; the exit itself keeps only its destination).
    left_for: Proposal | None = None


def household_rehousing(household: Household, today: datetime.date) -> Rehousing:
    demand = HousingDemand.objects.filter(household=household).first()
    proposals = list(Proposal.objects.filter(household=household).order_by("-received_on", "-pk"))
    measures = list(Measure.objects.filter(household=household).select_related("partner"))
    follow_ups: list[FollowUpRow] = []
    if household.exit_date is not None:
        done = {f.months: f for f in FollowUp.objects.filter(household=household)}
        follow_ups = [
            FollowUpRow(months, household.exit_date + relativedelta(months=months),
                        done.get(months))
            for months in FOLLOW_UP_MONTHS
        ]  # fmt: skip
    left_for = None
    if household.exit_date is not None:
        left_for = next((proposal for proposal in proposals if proposal.accepted), None)
    return Rehousing(demand, bool(demand and demand.is_active(today)), proposals, measures,
                     follow_ups, left_for)  # fmt: skip


def accepted_proposal(household: Household) -> Proposal | None:
    """The latest proposal the household accepted and the commission attributed."""
    proposals: list[Proposal] = list(
        Proposal.objects.filter(household=household).order_by("-received_on", "-pk")
    )
    return next((proposal for proposal in proposals if proposal.accepted), None)


def exit_prefill(*, household: Household) -> dict[str, Any] | None:
    """The exit form's starting values from an accepted proposal (a provider of
    ``households.selectors.EXIT_PREFILL``): destination, date, and what to tell the user."""
    proposal = accepted_proposal(household)
    if proposal is None:
        return None
    destination = (
        ExitDestination.LOGEMENT_SOCIAL if proposal.parc == Parc.PUBLIC
        else ExitDestination.LOGEMENT_PRIVE
    )  # fmt: skip
    initial: dict[str, Any] = {"destination": destination.value}
    if proposal.move_in_on:
        initial["exit_date"] = proposal.move_in_on
    when = f", entrée prévue le {proposal.move_in_on:%d/%m/%Y}" if proposal.move_in_on else ""
    return {
        "initial": initial,
        "note": f"Proposition acceptée : {proposal.get_typology_display()} {proposal.landlord}, "
        f"{proposal.address}, {proposal.city}{when}.",
    }
