"""Forms of the report page: the dispositif and period shown, the narrative. They parse;
the rules live in reporting.services."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from iml.forms import DateInput
from iml.models import Dispositif
from reporting import services

# Dates outside this range are typing mistakes (and would overflow the N-1 period).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def report_dispositifs() -> QuerySet[Dispositif]:
    """The organisation's dispositifs, active ones first (a closed one may still need its
    last report)."""
    return Dispositif.objects.order_by("-is_active", "code")


class ReportSelectionForm(forms.Form):
    """Which dispositif and period: the query string of the page, the hidden fields of its
    forms (``dispositif``, ``du``, ``au``)."""

    dispositif = forms.ModelChoiceField(
        label="Dispositif",
        queryset=Dispositif.all_organisations.none(),
        to_field_name="public_id",
        empty_label=None,
        error_messages={"invalid_choice": "Choisissez un dispositif de la liste."},
    )
    du = forms.DateField(label="Du", widget=DateInput())
    au = forms.DateField(label="Au", widget=DateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dispositif"].queryset = report_dispositifs()

    def _clean_date(self, name: str) -> datetime.date:
        day = self.cleaned_data[name]
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(
                "Indiquez une date entre %(first)s et %(last)s.",
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return day

    def clean_du(self) -> datetime.date:
        return self._clean_date("du")

    def clean_au(self) -> datetime.date:
        return self._clean_date("au")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("du") and cleaned.get("au"):
            try:
                services.validate_period(cleaned["du"], cleaned["au"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


class NarrativeForm(ReportSelectionForm):
    """The head's texts for the period (with the selection in hidden fields)."""

    mission = forms.CharField(
        label="Mission du dispositif",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Public accueilli, objectifs, capacité et implantation.",
    )
    highlights = forms.CharField(
        label="Faits marquants de la période",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    difficulties = forms.CharField(
        label="Difficultés rencontrées",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    perspectives = forms.CharField(
        label="Perspectives",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    staff_etp = forms.DecimalField(
        label="Effectif (ETP)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("999.99"),
        max_digits=5,
        decimal_places=2,
        # Typed the French way (« 0,70 ») as well as « 0.70 »: a text input (a number input
        # refuses the comma in some browsers), read with the French separators.
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Équivalents temps plein affectés au dispositif, par exemple 0,70.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("dispositif", "du", "au"):
            self.fields[name].widget = forms.HiddenInput()

    def narrative_values(self) -> dict:
        data = self.cleaned_data
        return {
            "mission": data["mission"],
            "highlights": data["highlights"],
            "difficulties": data["difficulties"],
            "perspectives": data["perspectives"],
            "staff_etp": data["staff_etp"],
        }
