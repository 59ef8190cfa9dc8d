"""The drill-down of the report page: the rows behind one figure of the report.

``figure_queryset(scope, path)`` returns the households, persons or units (support contracts,
amendments, interactions or repayment plans for those figures) counted by the figure at
``path`` (dotted keys of the JSON form of shared/docs/annual-report.md), through the same
definitions as the figures (``reporting.definitions``), so that a number and the list behind
it never disagree: ``count()`` of the result equals the figure of ``reporting.compute``.
The amounts have their own drill-down, the ledger entries (or the households in debt) that add
up to them: ``reporting.money_drilldown``.

Run inside the organisation's context (``organisation_transaction``).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from households.models import Person
from housing.models import Room
from iml.codes import (
    DESTINATION_CATEGORY,
    DestinationCategory,
    Employment,
    ExitDestination,
    ExitSupport,
    InteractionType,
    Parc,
    PriorSituation,
    ProtectionStatus,
    Sex,
    SupportDomain,
    Typology,
    UnitReturnReason,
    WithdrawalReason,
)
from reporting import definitions as d
from reporting.definitions import UNKNOWN, ReportScope
from support.models import Interaction, SupportAmendment, SupportContract, WorkshopParticipant
from tenancy.models import RepaymentPlan


class UnknownFigure(LookupError):
    """A figure path that names no countable figure."""


def figure_queryset(scope: ReportScope, path: str) -> models.QuerySet:
    """The rows counted by the figure at ``path`` (dotted keys of the JSON form):
    ``count()`` of the result equals the figure. Households, persons or units mostly; support
    contracts, amendments, interactions and repayment plans for those figures.

    Examples: ``households.present_at_end``, ``persons.entered``,
    ``present_at_end.typology.femme_seule`` (households; ``….children`` for the children of
    the cell), ``entries.age_brackets.18-24`` (persons), ``exits.destinations.tiers.bail_glissant``,
    ``exits.sinistralite.impaye``, ``orientations.withdrawn.refus_menage``,
    ``housing.vacant_units_at_end`` (units), ``nationalities.AF``, ``support.employment.emploi``,
    ``rent.households_in_debt_at_end``. Raises ``UnknownFigure`` for money, rates and paths that
    are not counts of rows.
    """
    keys = path.split(".")
    head, rest = keys[0], keys[1:]
    try:
        if head == "households" and len(rest) == 1:
            return _household_count(scope, rest[0])
        if head == "persons" and len(rest) == 1:
            return _person_count(scope, rest[0])
        if head in d.GROUPS and rest:
            return _group_figure(scope, head, rest)
        if head == "orientations" and rest:
            return _orientation_figure(scope, rest)
        if head == "housing" and rest:
            return _housing_figure(scope, rest)
        if head == "nationalities" and len(rest) == 1:
            return _by_code(d.persons_accompanied(scope), "nationality", rest[0])
        if head == "sex" and len(rest) == 1 and rest[0] in Sex.values:
            return d.persons_accompanied(scope).filter(sex=rest[0])
        if head == "support" and rest:
            return _support_figure(scope, rest)
        if head == "rent" and rest == ["repayment_plans_opened"]:
            return RepaymentPlan.objects.filter(
                contract__household__dispositif=scope.dispositif,
                signed_on__range=(scope.start, scope.end),
            )
        if head == "rent" and len(rest) == 1:
            present = d.households_present_at_end(scope).annotate(balance=d.balance_at(scope.end))
            if rest[0] == "households_up_to_date_at_end":
                return present.filter(balance__lte=0)
            if rest[0] == "households_in_debt_at_end":
                return present.filter(balance__gt=0)
    except KeyError:
        pass
    raise UnknownFigure(f"Chiffre inconnu : {path}")


def households_for(dispositif, start: datetime.date, end: datetime.date, path: str):
    """``figure_queryset`` for the report page's drill-down: the rows behind the figure at
    ``path`` of the report of ``dispositif`` over ``[start, end]`` (``UnknownFigure``, a
    ``LookupError``, for a path that counts no rows)."""
    return figure_queryset(ReportScope(dispositif, start, end), path)


def _by_code(queryset: models.QuerySet, field: str, code: str) -> models.QuerySet:
    return queryset.filter(**{field: "" if code == UNKNOWN else code})


def _household_count(scope: ReportScope, key: str) -> models.QuerySet:
    return {
        "present_at_start": d.households_present_at_start,
        "entered": d.households_entered,
        "exited": d.households_exited,
        "present_at_end": d.households_present_at_end,
        "accompanied": d.households_accompanied,
    }[key](scope)


def _person_count(scope: ReportScope, key: str) -> models.QuerySet:
    return {
        "present_at_start": d.persons_present_at_start,
        "entered": d.persons_entered,
        "exited": d.persons_exited,
        "present_at_end": d.persons_present_at_end,
        "accompanied": d.persons_accompanied,
    }[key](scope)


def _group_figure(scope: ReportScope, group: str, keys: list[str]) -> models.QuerySet:
    households = d.group_households(scope, group)
    persons = d.group_persons(scope, group)
    first = keys[0]
    if len(keys) == 1:
        person_filters = {
            "persons": Q(),
            "adults": d.Q_ADULT,
            "children": d.Q_CHILD,
            "children_of_age": d.q_child_of_age(),
        }
        if first in person_filters:
            return persons.filter(person_filters[first])
        if first == "households":
            return households
        if first == "reinforced":
            return households.filter(d.Q_REINFORCED)
    code = keys[1] if len(keys) > 1 else None
    if first == "typology" and code in (*d.TYPOLOGIES, UNKNOWN):
        cell = keys[2] if len(keys) > 2 else "households"
        in_cell = households.filter(typology=code)
        if cell == "households" and len(keys) <= 3:
            return in_cell
        if cell == "reinforced" and len(keys) == 3:
            return in_cell.filter(d.Q_REINFORCED)
        if cell == "children" and len(keys) == 3:
            return persons.filter(d.Q_CHILD, household__in=in_cell.values("pk"))
    if len(keys) == 2:
        if first == "protection_status" and code in (*ProtectionStatus.values, UNKNOWN):
            return _by_code(persons, "protection_status", code)
        if first == "age_brackets":
            for label, low, high in d.age_bracket_labels(scope.dispositif):
                if label == code:
                    return persons.filter(d.q_age_bracket(low, high))
        if first == "resources":
            return households.filter(resources_key=code)
        if first == "prior_situation" and code in (*PriorSituation.values, UNKNOWN):
            return _by_code(households, "prior_situation", code)
        if first == "stay_length" and code in d.STAY_BUCKETS.get(group, ()):
            return households.filter(d.q_stay_bucket(code))
        if first == "orienting_structures" and group == "entries":
            return _by_code(households, "orienting_structure", code)
        if group == "exits":
            return _exit_figure(scope, first, code)
    if group == "exits" and first == "destinations" and len(keys) == 3:
        in_cell = _exit_figure(scope, first, code)
        extra = {
            "households": Q(),
            "bail_glissant": Q(bail_glissant=True),
            "reinforced": d.Q_REINFORCED,
        }
        return in_cell.filter(extra[keys[2]])
    raise KeyError(".".join(keys))


def _exit_figure(scope: ReportScope, key: str, code: str) -> models.QuerySet:
    households = d.households_exited(scope)
    if key == "destinations" and code in (*ExitDestination.values, UNKNOWN):
        return _by_code(households, "exit_destination", code)
    if key == "destination_categories" and code in (*DestinationCategory.values, UNKNOWN):
        if code == UNKNOWN:
            return households.filter(exit_destination="")
        destinations = [dest for dest, cat in DESTINATION_CATEGORY.items() if cat == code]
        return households.filter(exit_destination__in=destinations)
    if key == "exit_support" and code in ExitSupport.values:
        return households.filter(exit_support__contains=[code])
    if key == "sinistralite" and code in d.SINISTRALITE:
        return d.with_sinistralite(households).filter(sinistralite=code)
    raise KeyError(key)


def _orientation_figure(scope: ReportScope, keys: list[str]) -> models.QuerySet:
    households = d.households_in(scope)
    simple = {
        "received": d.q_oriented_in(scope),
        "admitted": d.q_admitted(scope),
        "pending_at_end": d.q_pending_at_end(scope),
    }
    if len(keys) == 1 and keys[0] in simple:
        return households.filter(simple[keys[0]])
    if len(keys) == 2 and keys[0] == "withdrawn" and keys[1] in (*WithdrawalReason.values, UNKNOWN):
        return _by_code(households.filter(d.q_withdrawn_in(scope)), "withdrawal_reason", keys[1])
    raise KeyError(keys[0])


def _housing_figure(scope: ReportScope, keys: list[str]) -> models.QuerySet:
    at_end = d.with_occupied_at(d.units_in_stock_at(scope, scope.end), scope.end)
    units = d.units_in(scope)
    returned = units.filter(return_date__range=(scope.start, scope.end))
    if len(keys) == 1:
        return {
            "units_at_end": lambda: at_end,
            "rooms_at_end": lambda: Room.objects.filter(unit__in=at_end.values("pk")),
            "captured": lambda: units.filter(captation_date__range=(scope.start, scope.end)),
            "returned": lambda: returned,
            "vacant_units_at_end": lambda: at_end.filter(occupied=False),
            "occupied_units_at_end": lambda: at_end.filter(occupied=True),
        }[keys[0]]()
    first, code = keys
    if first == "units_by_typology_at_end" and code in Typology.values:
        return at_end.filter(typology=code)
    if first == "returned_by_reason" and code in (*UnitReturnReason.values, UNKNOWN):
        return _by_code(returned, "return_reason", code)
    if first == "by_parc_at_end" and code in Parc.values:
        return at_end.filter(parc=code)
    if first == "by_sector_at_end":
        return _by_code(at_end, "sector", code)
    raise KeyError(first)


def _support_figure(scope: ReportScope, keys: list[str]) -> models.QuerySet:
    dispositif = scope.dispositif
    period = (scope.start, scope.end)
    if keys == ["households_with_interaction"]:
        with_interaction = Interaction.objects.filter(
            household__dispositif=dispositif, date__range=period
        )
        return d.households_in(scope).filter(pk__in=with_interaction.values("household"))
    if keys == ["contracts_signed"]:
        return SupportContract.objects.filter(
            household__dispositif=dispositif, signed_on__range=period
        )
    if keys == ["amendments_signed"]:
        return SupportAmendment.objects.filter(
            contract__household__dispositif=dispositif, signed_on__range=period
        )
    interactions = Interaction.objects.filter(household__dispositif=dispositif, date__range=period)
    if len(keys) == 2 and keys[0] == "interactions_by_type" and keys[1] in InteractionType.values:
        return interactions.filter(kind=keys[1])
    if len(keys) == 2 and keys[0] == "interactions_by_domain" and keys[1] in SupportDomain.values:
        return interactions.filter(domains__contains=[keys[1]])
    if keys == ["workshop_participants"]:
        attended = WorkshopParticipant.objects.filter(workshop__date__range=period)
        return Person.objects.filter(
            household__dispositif=dispositif, pk__in=attended.values("person")
        )
    if len(keys) == 2 and keys[0] == "employment" and keys[1] in (*Employment.values, UNKNOWN):
        adults = d.adults_accompanied(scope).annotate(employment_code=d.employment_at(scope))
        return adults.filter(employment_code=keys[1])
    raise KeyError(keys[0])


__all__ = ["UnknownFigure", "figure_queryset", "households_for"]
