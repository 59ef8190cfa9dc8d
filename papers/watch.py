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
        due = paper.valid_until
        assert due is not None
        if today < due - datetime.timedelta(days=paper.household.dispositif.alert_paper_days):
            continue
        level = "warning" if today < due else "due" if today == due else "overdue"
        housing = paper.kind in HOUSING_KINDS or (
            paper.custom_type is not None and paper.custom_type.audience == Audience.HOUSING
        )
        rows.append({
            "subject_id": paper.pk,
            "household_id": paper.household_id,
            "milestone": due.isoformat(),
            "due_date": due,
            "level": level,
            "assignee_id": None if housing else paper.household.referent_id,
            "assignee_role": (Role.REGISSEUR if housing else Role.SOCIAL_WORKER).value,
        })  # fmt: skip
    return rows


def alert_title(paper: Paper | None, due: datetime.date) -> str:
    if paper is None:
        return f"Pièce expirant le {due:%d/%m/%Y} (supprimée depuis)"
    risk = "" if paper.custom_type_id else f" : {WATCHED.get(paper.kind, '')}".rstrip(" :")
    return f"{paper.label.capitalize()} : expire le {due:%d/%m/%Y}{risk}"
