"""The expiry watch: the papers of households still followed (waiting or present) whose
validity ends within their dispositif's warning, for the daily alert job (``alerts.job``).
A paper renewed since (a paper of the same kind, for the same person, valid longer) is no
longer watched."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q

from iml.codes import PaperKind
from iml.models import Role
from papers.kinds import WATCHED, Audience
from papers.models import Paper

# Who acts on an expiring paper: the régisseur for the home's papers, else the referent.
HOUSING_KINDS = (PaperKind.ASSURANCE, PaperKind.GARANTIE, PaperKind.BAIL, PaperKind.ANAH)


def watched_papers() -> list[Paper]:
    """The latest paper of each kind (and person) of the households still followed, when its
    kind is watched and it has an end of validity."""
    papers = (
        Paper.objects.filter(household__isnull=False, valid_until__isnull=False)
        .filter(Q(custom_type__isnull=True, kind__in=list(WATCHED)) | Q(custom_type__watched=True))
        .filter(
            household__exit_date__isnull=True,
            household__withdrawal_date__isnull=True,
            household__anonymised_at__isnull=True,
        )
        .select_related("household__dispositif", "custom_type")
        .order_by("valid_until", "pk")
    )
    latest: dict[tuple[Any, ...], Paper] = {}
    for paper in papers:  # by validity: the last one of a group is the one that lasts longest
        latest[paper.household_id, paper.kind, paper.custom_type_id, paper.person_id] = paper
    return sorted(latest.values(), key=lambda paper: paper.pk)


def paper_alert_candidates(today: datetime.date) -> list[dict[str, Any]]:
    rows = []
    for paper in watched_papers():
        due, household = paper.valid_until, paper.household
        assert due is not None and household is not None  # watched_papers' filter
        if today < due - datetime.timedelta(days=household.dispositif.alert_paper_days):
            continue
        level = _level(today, due)
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
    """The latest paper of each watched kind of the homes still in stock."""
    papers = (
        Paper.objects.filter(unit__isnull=False, valid_until__isnull=False)
        .filter(Q(custom_type__isnull=True, kind__in=list(WATCHED)) | Q(custom_type__watched=True))
        .exclude(unit__return_date__lte=today)
        .select_related("unit__dispositif", "custom_type")
        .order_by("valid_until", "pk")
    )
    latest: dict[tuple[Any, ...], Paper] = {}
    for paper in papers:
        latest[paper.unit_id, paper.lease_id, paper.kind, paper.custom_type_id] = paper
    return sorted(latest.values(), key=lambda paper: paper.pk)


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
            "level": _level(today, due),
            "assignee_id": None,
            "assignee_role": Role.REGISSEUR.value,
        })  # fmt: skip
    return rows


def _level(today: datetime.date, due: datetime.date) -> str:
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
