"""What a funder's agent may see: cut by the territory of their institution, on the server.

A DDETS sees the dispositifs and reports of its départements, a DREETS those of its région,
the national level all of them. The territory comes from the agent's institution (read by the
middleware from their account), never from the request: a parameter may narrow what is shown
within the territory (a département of the région), never widen it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from funders.models import FundedDispositif, Submission
from iml import territories
from iml.models import Institution, InstitutionKind


def territory(institution: Institution) -> Q:
    """The rows of ``institution``'s territory (on the ``departement`` / ``region`` columns
    that ``FundedDispositif`` and ``Submission`` share)."""
    if institution.kind == InstitutionKind.DDETS:
        return Q(departement__in=institution.departements)
    if institution.kind == InstitutionKind.DREETS:
        return Q(region=institution.region)
    return Q()


def submissions(institution: Institution) -> QuerySet[Submission]:
    return Submission.objects.filter(territory(institution))


def funded(institution: Institution) -> QuerySet[FundedDispositif]:
    return FundedDispositif.objects.filter(territory(institution))


def regions(institution: Institution) -> list[str]:
    """The régions the institution may review (its own; every one for the national level)."""
    if institution.kind == InstitutionKind.NATIONAL:
        return list(territories.REGIONS)
    return [institution.region] if institution.region else []


def departements(institution: Institution, region: str) -> tuple[str, ...]:
    """The départements of ``region`` within the institution's territory."""
    if region not in regions(institution):
        return ()
    within = territories.departements_of(region)
    if institution.kind == InstitutionKind.DDETS:
        return tuple(code for code in within if code in institution.departements)
    return within


def can_review(institution: Institution, submission: Submission) -> bool:
    """Acknowledging or returning a report is the funding DDETS's act."""
    return institution.kind == InstitutionKind.DDETS and submission.institution_id == institution.pk
