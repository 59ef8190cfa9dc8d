from __future__ import annotations

import django_filters
from django import forms

from households import selectors
from households.models import Household, HouseholdStatus
from iml.models import Dispositif, Membership, Role, User


def _dispositifs(request):
    return Dispositif.objects.all()


def _referents(request):
    return User.objects.filter(
        memberships__in=Membership.objects.active().filter(role__in=[Role.SOCIAL_WORKER, Role.HEAD])
    ).order_by("last_name", "first_name")


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche",
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": "Nom, prénom, référence SI-SIAO…"}),
    )
    dispositif = django_filters.ModelChoiceFilter(
        queryset=_dispositifs, label="Dispositif", empty_label="Tous"
    )
    status = django_filters.ChoiceFilter(
        choices=HouseholdStatus.choices,
        label="Situation",
        method="filter_status",
        empty_label="Toutes",
    )
    referent = django_filters.ModelChoiceFilter(
        queryset=_referents, label="Référent·e", empty_label="Tous"
    )

    class Meta:
        model = Household
        fields = ["q", "dispositif", "status", "referent"]

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_status(self, queryset, name, value):
        return queryset.with_status_filter(value)
