"""Forms of the alert inbox."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from alerts.models import Alert, AlertKind, AlertLevel, AlertStatus
from alerts.selectors import PENDING

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
