"""Reads of the alerts (raised by the daily job, ``alerts.job``): who sees which, in what order.

``visible_alerts`` is the one rule of visibility, used by the inbox, the navigation badge,
the dashboard and the morning digest: heads see every alert of the organisation; a social
worker or a régisseur sees the alerts given to them, and those given to nobody in particular
but to their role; admins see none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from alerts.models import Alert, AlertLevel, AlertStatus
from iml.models import Membership, Role
from iml.permissions import INBOX_ROLES, has_inbox  # noqa: F401 (the inbox's roles)

if TYPE_CHECKING:
    from iml.selectors import Panel

# Listed by default: what still needs doing (resolved ones through the filter).
PENDING = (AlertStatus.OPEN, AlertStatus.SEEN)
URGENT_COUNT = 5

_LEVEL_RANK = Case(
    When(level=AlertLevel.OVERDUE, then=Value(0)),
    When(level=AlertLevel.DUE, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_RESOLVED_LAST = Case(
    When(status=AlertStatus.RESOLVED, then=Value(1)), default=Value(0), output_field=IntegerField()
)


def visible_alerts(membership: Membership | None) -> QuerySet[Alert]:
    """Every alert ``membership`` may see, whatever its status (of its own organisation only,
    on top of the scoped manager and row-level security)."""
    # (``membership is None``: ``has_inbox`` says it too, but the type checker cannot see it.)
    if membership is None or not has_inbox(membership):
        # Nothing to see, and no query: needs no current organisation either.
        return Alert.all_organisations.none()
    alerts: QuerySet[Alert] = Alert.objects.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.HEAD:
        return alerts
    return alerts.filter(
        Q(assignee_id=membership.user_id) | Q(assignee__isnull=True, assignee_role=membership.role)
    )


def by_urgency(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Overdue first, then due today, then coming; the nearest due date first in each (and
    resolved ones after all the others, when listed); with what a row shows (household,
    assignee) in the same query."""
    return alerts.select_related("household", "unit", "assignee").order_by(
        _RESOLVED_LAST, _LEVEL_RANK, "due_date", "pk"
    )


def open_count(membership: Membership | None) -> int:
    """The navigation badge: alerts not looked at yet (status ``ouverte``). One query."""
    if not has_inbox(membership):
        return 0
    return visible_alerts(membership).filter(status=AlertStatus.OPEN).count()


@dataclass(frozen=True)
class InboxSummary:
    overdue: int
    due: int
    warning: int
    urgent: list[Alert]

    @property
    def total(self) -> int:
        return self.overdue + self.due + self.warning


def inbox_summary(membership: Membership | None) -> InboxSummary | None:
    """The dashboard's view of the inbox: pending alerts by level (one aggregate query) and
    the most urgent ones (one query). None for a role without an inbox."""
    if not has_inbox(membership):
        return None
    pending = visible_alerts(membership).filter(status__in=PENDING)
    counts = pending.aggregate(
        overdue=Count("pk", filter=Q(level=AlertLevel.OVERDUE)),
        due=Count("pk", filter=Q(level=AlertLevel.DUE)),
        warning=Count("pk", filter=Q(level=AlertLevel.WARNING)),
    )
    urgent = list(by_urgency(pending)[:URGENT_COUNT]) if any(counts.values()) else []
    return InboxSummary(**counts, urgent=urgent)


def dashboard_panel(*, membership: Membership) -> Panel | None:
    """The inbox's block of the dashboard (``iml.selectors.DASHBOARD_PANELS``)."""
    from iml.selectors import Panel

    inbox = inbox_summary(membership)
    return None if inbox is None else Panel("alerts/dashboard_panel.html", {"inbox": inbox})
