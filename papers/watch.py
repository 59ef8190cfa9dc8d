"""The expiry watch: the papers of households still followed (waiting or present) whose
validity ends within their dispositif's warning, for the daily alert job (``alerts.job``).
A paper renewed since (a paper of the same kind, for the same person, valid longer) is no
longer watched."""

from __future__ import annotations

import datetime
from typing import Any

from iml.codes import PaperKind
from iml.models import Role
from papers.kinds import WATCHED, Audience
from papers.models import WATCHED_PAPERS, Paper

# Who acts on an expiring paper: the régisseur for the home's papers, else the referent.
HOUSING_KINDS = (PaperKind.ASSURANCE, PaperKind.GARANTIE, PaperKind.BAIL, PaperKind.ANAH)


def _latest(papers: Any, key: Any) -> list[Paper]:
    """The paper of each group (``key``) valid the longest: a renewed one supersedes it."""
    latest: dict[tuple[Any, ...], Paper] = {}
    for paper in papers.filter(WATCHED_PAPERS, valid_until__isnull=False).order_by(
        "valid_until", "pk"
    ):
        latest[key(paper)] = paper
    return sorted(latest.values(), key=lambda paper: paper.pk)


def watched_papers() -> list[Paper]:
    """The latest watched paper of each kind (and person) of the households still followed."""
    papers = Paper.objects.filter(
        household__isnull=False,
        household__exit_date__isnull=True,
        household__withdrawal_date__isnull=True,
        household__anonymised_at__isnull=True,
    ).select_related("household__dispositif", "custom_type")
    return _latest(papers, lambda p: (p.household_id, p.kind, p.custom_type_id, p.person_id))


def paper_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    rows = []
    for paper in watched_papers():
        due, household = paper.valid_until, paper.household
        assert due is not None and household is not None  # watched_papers' filter
        if today < due - datetime.timedelta(days=household.dispositif.alert_paper_days):
            continue
        level = due_level(today, due)
        housing = paper.kind in HOUSING_KINDS or (
            paper.custom_type is not None and paper.custom_type.audience == Audience.HOUSING
        )
        rows.append({
            "subject_id": paper.pk,
            "household_id": paper.household_id,
            "milestone": milestone(paper),
            "due_date": due,
            "level": level,
            "assignee_id": None if housing else household.referent_id,
            "assignee_role": (Role.REGISSEUR if housing else Role.SOCIAL_WORKER).value,
        })  # fmt: skip
    return rows


def watched_home_papers(today: datetime.date) -> list[Paper]:
    """The latest watched paper of each kind of the homes still in stock."""
    papers = (
        Paper.objects.filter(unit__isnull=False)
        .exclude(unit__return_date__lte=today)
        .select_related("unit__dispositif", "custom_type")
    )
    return _latest(papers, lambda p: (p.unit_id, p.lease_id, p.kind, p.custom_type_id))


def home_paper_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    """A main lease, an ANAH convention, a guarantee… that ends: the régisseurs' business."""
    rows = []
    for paper in watched_home_papers(today):
        due = paper.valid_until
        assert due is not None and paper.unit is not None
        if today < due - datetime.timedelta(days=paper.unit.dispositif.alert_paper_days):
            continue
        rows.append({
            "subject_id": paper.pk,
            "household_id": None,
            "unit_id": paper.unit_id,
            "milestone": milestone(paper),
            "due_date": due,
            "level": due_level(today, due),
            "assignee_id": None,
            "assignee_role": Role.REGISSEUR.value,
        })  # fmt: skip
    return rows


def due_level(today: datetime.date, due: datetime.date) -> str:
    """An alert's level before, on and after its due date (``alerts.job.LEVEL`` in SQL)."""
    return "warning" if today < due else "due" if today == due else "overdue"


def milestone(paper: Paper) -> str:
    """``<kind>:<end of validity>``: the alert's title is read from it (no query per alert)."""
    assert paper.valid_until is not None
    return f"{paper.kind}:{paper.valid_until.isoformat()}"


def alert_title(milestone: str) -> str:
    kind, _, day = milestone.partition(":")
    due = datetime.date.fromisoformat(day)
    if kind == PaperKind.AUTRE or kind not in PaperKind.values:
        return f"Pièce à renouveler : expire le {due:%d/%m/%Y}"
    risk = WATCHED.get(kind, "")
    label = str(PaperKind(kind).label)
    return f"{label[0].upper()}{label[1:]} : expire le {due:%d/%m/%Y}" + (
        f" : {risk}" if risk else ""
    )
