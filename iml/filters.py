from __future__ import annotations

import django_filters
from django import forms

from iml.models import AccessLog, Membership, User


class AccessLogFilter(django_filters.FilterSet):
    user = django_filters.ModelChoiceFilter(
        queryset=lambda request: User.objects.filter(
            memberships__in=Membership.objects.all()
        ).order_by("last_name", "first_name"),
        label="Personne",
        empty_label="Toutes",
    )
    since = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label="Depuis le",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    until = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label="Jusqu’au",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip

    class Meta:
        model = AccessLog
        fields = ["user", "since", "until"]
