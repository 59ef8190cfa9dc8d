"""What the pages show of the papers: their state (valid, expiring, expired) and, for a
household, what its dispositif asks for that is missing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from households.models import Household
from iml.codes import PaperKind
from iml.models import Membership
from iml.selectors import Card
from papers.access import READERS, audiences, visible
from papers.kinds import AUDIENCE, Audience
from papers.models import WATCHED_PAPERS, Paper

# A paper that stands for another in a checklist: a récépissé while the titre de séjour is
# renewed.
STANDS_FOR: dict[str, set[str]] = {PaperKind.TITRE_SEJOUR: {PaperKind.RECEPISSE}}


@dataclass(frozen=True)
class PaperRow:
    paper: Paper
    state: str  # "valide", "bientot", "expiree", "" (no end of validity)

    @property
    def state_label(self) -> str:
        until = self.paper.valid_until
        if until is None:
            return ""
        return {
            "valide": f"valable jusqu’au {until:%d/%m/%Y}",
            "bientot": f"expire le {until:%d/%m/%Y}",
            "expiree": f"expirée depuis le {until:%d/%m/%Y}",
        }[self.state]


def state(paper: Paper, today: datetime.date, warning_days: int) -> str:
    if paper.valid_until is None:
        return ""
    if paper.valid_until < today:
        return "expiree"
    if paper.valid_until <= today + datetime.timedelta(days=warning_days):
        return "bientot"
    return "valide"


def with_files(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    return papers.select_related("custom_type", "person", "created_by").prefetch_related("files")


def _missing(household: Household, held: set[str], allowed: frozenset[str]) -> list[str]:
    """The labels of the dispositif's papers (of an audience ``allowed``) not ``held``."""
    return [
        str(PaperKind(kind).label)
        for kind in household.dispositif.required_papers
        if AUDIENCE[kind] in allowed and not ({kind} | STANDS_FOR.get(kind, set())) & held
    ]


@dataclass(frozen=True)
class HouseholdPapers:
    rows: list[PaperRow]
    missing: list[str]  # labels of the dispositif's papers not held (or expired)
    expiring: int


def household_papers(
    household: Household, membership: Membership, today: datetime.date
) -> HouseholdPapers:
    warning = household.dispositif.alert_paper_days
    papers = list(with_files(visible(membership).filter(household=household)))
    rows = [PaperRow(p, state(p, today, warning)) for p in papers]
    held = {row.paper.kind for row in rows if row.state != "expiree"}
    missing = _missing(household, held, audiences(membership))
    expiring = sum(1 for row in rows if row.state in ("bientot", "expiree") and row.paper.watched)
    return HouseholdPapers(rows, missing, expiring)


def paper_gaps(household: Household, today: datetime.date) -> tuple[list[str], list[str]]:
    """What a household lacks, whoever asks: its watched papers that expired (and were not
    renewed), and the dispositif's papers it does not hold. For the ready-to-leave check."""
    papers = list(Paper.objects.filter(household=household).select_related("custom_type"))
    valid = {p.kind for p in papers if p.valid_until is None or p.valid_until >= today}
    expired = sorted({
        p.label for p in papers
        if p.watched and p.valid_until is not None and p.valid_until < today
        and p.kind not in valid
    })  # fmt: skip
    return expired, _missing(household, valid, frozenset(Audience.values))


def owner_papers(today: datetime.date, warning_days: int, **owner: object) -> list[PaperRow]:
    """The papers of a home or a landlord: housing papers, whatever their kind."""
    papers = with_files(Paper.objects.filter(household__isnull=True, **owner))
    return [PaperRow(p, state(p, today, warning_days)) for p in papers]


def expiring_papers(membership: Membership, today: datetime.date) -> list[PaperRow]:
    """Papers under watch whose validity ends within their dispositif's warning, or is past:
    the « Pièces à renouveler » list, soonest first. The papers of a household that left, or
    of a home returned to its landlord, are no longer watched."""
    horizon = today + datetime.timedelta(days=MAX_WARNING_DAYS)
    papers = (
        visible(membership)
        .filter(WATCHED_PAPERS, valid_until__isnull=False, valid_until__lte=horizon)
        .exclude(household__exit_date__isnull=False)
        .exclude(household__withdrawal_date__isnull=False)
        .exclude(unit__return_date__lte=today)
        .select_related(
            "custom_type", "person", "household__dispositif", "unit__dispositif", "landlord"
        )
        .order_by("valid_until", "pk")
    )
    rows = []
    for paper in papers:
        owner = paper.household or paper.unit  # a landlord's papers: the usual warning
        days = owner.dispositif.alert_paper_days if owner else DEFAULT_WARNING_DAYS
        row = PaperRow(paper, state(paper, today, days))
        if row.state in ("bientot", "expiree"):
            rows.append(row)
    return rows


DEFAULT_WARNING_DAYS = 30
# The longest warning a dispositif may set (PositiveSmallIntegerField), bounded for the query.
MAX_WARNING_DAYS = 366


def dashboard_cards(*, membership: Membership) -> list[Card]:
    """« Pièces à renouveler », for those who read papers (a provider of
    ``iml.selectors.DASHBOARD_PROVIDERS``)."""
    if membership.role not in READERS:
        return []
    rows = expiring_papers(membership, timezone.localdate())
    return [Card("Pièces à renouveler", len(rows), "papers:expiring")]
