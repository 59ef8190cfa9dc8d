"""The alert inbox: what the daily job (``iml.alerts``) raised for the user, most urgent first,
and "seen" to take an alert out of the navigation badge's count."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from iml.alert_selectors import INBOX_ROLES, PENDING, by_urgency, visible_alerts
from iml.alert_services import alert_mark_seen as mark_seen
from iml.models import Alert, AlertKind, AlertLevel, AlertStatus
from iml.permissions import member_required

PAGE_SIZE = 25
EVERY_STATUS = "toutes"


class AlertFilterForm(forms.Form):
    level = forms.ChoiceField(
        label="Niveau", required=False, choices=[("", "Tous"), *AlertLevel.choices]
    )
    kind = forms.ChoiceField(
        label="Nature", required=False, choices=[("", "Toutes"), *AlertKind.choices]
    )
    status = forms.ChoiceField(
        label="État",
        required=False,
        choices=[
            ("", "à traiter (ouvertes et vues)"),
            (AlertStatus.OPEN, "ouvertes, pas encore vues"),
            (AlertStatus.SEEN, "vues"),
            (AlertStatus.RESOLVED, "résolues"),
            (EVERY_STATUS, "toutes"),
        ],
    )

    def filter(self, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
        """The valid criteria (an invalid one is ignored, and shown as an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        status = data.get("status")
        if not status:
            alerts = alerts.filter(status__in=PENDING)
        elif status != EVERY_STATUS:
            alerts = alerts.filter(status=status)
        if data.get("level"):
            alerts = alerts.filter(level=data["level"])
        if data.get("kind"):
            alerts = alerts.filter(kind=data["kind"])
        return alerts

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


@member_required(INBOX_ROLES)
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET)
    alerts = by_urgency(form.filter(visible_alerts(request.membership)))
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "iml/alert_list.html",
        {"form": form, "page": page, "next": request.get_full_path()},
    )


def _back(request: HttpRequest) -> str:
    """The inbox page the user came from (filters and page kept), if it is one of this site."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return ""


@require_POST
@member_required(INBOX_ROLES)
def alert_mark_seen(request: HttpRequest, alert: str) -> HttpResponse:
    """An alert the user cannot see is not found (404), whatever its organisation."""
    obj = get_object_or_404(by_urgency(visible_alerts(request.membership)), public_id=alert)
    mark_seen(alert=obj)
    back = _back(request)
    if request.htmx:
        return render(request, "iml/alert_row.html", {"alert": obj, "next": back})
    return redirect(back or "alert_list")


urlpatterns = [
    path("alertes/", alert_list, name="alert_list"),
    path("alertes/<uuid:alert>/vue/", alert_mark_seen, name="alert_mark_seen"),
]
