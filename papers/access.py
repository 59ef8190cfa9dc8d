"""Who reads which papers: a régisseur the identity and housing papers, not the social file;
social workers and heads all of them. Every page and download goes through ``visible``."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from iml.models import Membership, Role
from iml.permissions import HOUSING_VIEWERS
from papers.kinds import AUDIENCE, Audience
from papers.models import Paper

AUDIENCES: dict[str, frozenset[str]] = {
    Role.SOCIAL_WORKER: frozenset(Audience.values),
    Role.HEAD: frozenset(Audience.values),
    Role.REGISSEUR: frozenset({Audience.IDENTITY, Audience.HOUSING}),
}
# Who adds papers: those who read them; a head or the person who added one deletes it.
ADDERS = (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)
READERS = ADDERS


def audiences(membership: Membership | None) -> frozenset[str]:
    if membership is None:
        return frozenset()
    return AUDIENCES.get(membership.role, frozenset())


def may_read(membership: Membership | None, paper: Paper) -> bool:
    """A household's paper by its audience; a home's or a landlord's is a housing paper."""
    if paper.household_id is None:
        return membership is not None and membership.role in HOUSING_VIEWERS
    return paper.audience in audiences(membership)


def kinds_for(membership: Membership | None) -> list[str]:
    allowed = audiences(membership)
    return [kind for kind, audience in AUDIENCE.items() if audience in allowed]


def visible(membership: Membership | None) -> QuerySet[Paper]:
    """The papers of the organisation this member may read (the row-level security keeps
    other organisations' out)."""
    allowed = audiences(membership)
    standard = [kind for kind, audience in AUDIENCE.items() if audience in allowed]
    of_households = Q(custom_type__isnull=True, kind__in=standard) | Q(
        custom_type__isnull=False, custom_type__audience__in=list(allowed)
    )
    if membership is not None and membership.role in HOUSING_VIEWERS:
        of_households |= Q(household__isnull=True)
    papers: QuerySet[Paper] = Paper.objects.filter(of_households)
    return papers


def may_delete(membership: Membership | None, paper: Paper) -> bool:
    if membership is None or not may_read(membership, paper):
        return False
    return membership.role == Role.HEAD or paper.created_by_id == membership.user_id
