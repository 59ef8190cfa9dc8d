"""Filters of the stock list (django-filter)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from housing import selectors
from housing.models import HousingUnit
from iml.codes import Typology
from iml.forms import DateInput
from iml.models import Dispositif


class StockState(models.TextChoices):
    IN_STOCK = "stock", "en stock"
    RETURNED = "rendus", "rendus au bailleur"
    ALL = "tous", "tous les logements"


class UnitFilterForm(forms.Form):
    """The date and the state of the stock at that date, read together by ``UnitFilter``."""

    state = forms.ChoiceField(label="Situation", choices=StockState.choices, required=False)
    at = forms.DateField(label="À la date du", required=False, widget=DateInput())


class UnitFilter(django_filters.FilterSet):
    # Public identifiers in the URL, never sequential ids.
    dispositif = django_filters.ModelChoiceFilter(
        label="Dispositif",
        queryset=Dispositif.all_organisations.none(),
        empty_label="Tous",
        to_field_name="public_id",
    )
    typology = django_filters.ChoiceFilter(
        label="Typologie", choices=Typology.choices, empty_label="Toutes"
    )
    sector = django_filters.ChoiceFilter(label="Secteur", choices=[], empty_label="Tous")

    class Meta:
        model = HousingUnit
        fields = ["dispositif", "typology", "sector"]
        form = UnitFilterForm

    def __init__(self, data=None, *args, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        # Choices among the current organisation's rows, built per request.
        self.filters["dispositif"].queryset = Dispositif.objects.order_by("code")
        self.filters["sector"].extra["choices"] = [(s, s) for s in selectors.sectors()]

    @property
    def at(self) -> datetime.date:
        cleaned = getattr(self.form, "cleaned_data", {})
        return cleaned.get("at") or timezone.localdate()

    @property
    def state(self) -> str:
        cleaned = getattr(self.form, "cleaned_data", {})
        return cleaned.get("state") or StockState.IN_STOCK

    def filter_queryset(self, queryset: QuerySet[HousingUnit]) -> QuerySet[HousingUnit]:
        # ``state`` and ``at`` are fields of the form, not filters: they are read together.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        if self.state == StockState.IN_STOCK:
            return queryset.in_stock(self.at)
        if self.state == StockState.RETURNED:
            return queryset.returned(self.at)
        return queryset
