"""Filters of the incident list (django-filter)."""

from __future__ import annotations

import django_filters

from tenancy.models import Incident, IncidentKind, IncidentStatus

OPEN = "ouverts"
ALL = "tous"
STATE_CHOICES = [
    (OPEN, "ouverts (signalés ou en cours)"),
    *IncidentStatus.choices,
    (ALL, "tous"),
]


class IncidentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="État", choices=STATE_CHOICES, method="filter_state", empty_label=None
    )
    kind = django_filters.ChoiceFilter(
        label="Nature", choices=IncidentKind.choices, empty_label="Toutes"
    )

    class Meta:
        model = Incident
        fields = ["state", "kind"]

    def filter_state(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=(IncidentStatus.SIGNALE, IncidentStatus.EN_COURS))
        if value in IncidentStatus.values:
            return queryset.filter(status=value)
        return queryset
