"""Forms of the partners directory, referrals and collective workshops.

Choices are the current organisation's objects only, built per form instance (the scoped
managers need the organisation of the running request). The rules live in
``support.network``; forms parse input.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from households.models import Person
from iml.codes import SupportDomain
from iml.forms import DateInput
from iml.models import User
from iml.submissions import OnceMixin
from support import network
from support.models import Partner, PartnerKind, ReferralOutcome, Workshop, WorkshopParticipant


class PartnerFilterForm(forms.Form):
    q = forms.CharField(label="Nom ou contact", required=False, max_length=100)
    kind = forms.ChoiceField(
        label="Type", required=False, choices=[("", "tous les types"), *PartnerKind.choices]
    )


class PartnerForm(OnceMixin, forms.ModelForm):
    """The partner's card; the name's uniqueness is checked by the service."""

    class Meta:
        model = Partner
        fields = [
            "name",
            "kind",
            "contact_name",
            "phone",
            "email",
            "address",
            "notes",
            "is_active",
        ]
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "contact_name": "La personne à joindre (nom, fonction).",
            "is_active": "Un partenaire inactif n’est plus proposé pour les orientations ; "
            "les orientations passées restent.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            del self.fields["is_active"]

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "submission_key"}


class ReferralForm(OnceMixin, forms.Form):
    partner = forms.ModelChoiceField(
        label="Partenaire",
        queryset=Partner.all_organisations.none(),
        empty_label="— choisir un partenaire —",
    )
    date = forms.DateField(label="Date de l’orientation", widget=DateInput())
    domain = forms.ChoiceField(label="Domaine", choices=SupportDomain.choices)
    reason = forms.CharField(
        label="Motif",
        max_length=300,
        help_text="Par exemple « ouverture des droits à la complémentaire santé ».",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = network.partner_choices()


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Suite",
        choices=[(value, ReferralOutcome(value).label) for value in network.CLOSED_OUTCOMES],
        widget=forms.RadioSelect(attrs={"class": "toggle"}),
    )
    outcome_date = forms.DateField(label="Date de la suite", widget=DateInput())
    notes = forms.CharField(
        label="Précisions", max_length=300, required=False, help_text="Facultatif."
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("outcome_date", timezone.localdate())
        super().__init__(*args, **kwargs)


class CheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes as large pills, easy to tap on a phone."""

    def __init__(self, attrs: dict | None = None, choices=()) -> None:
        super().__init__(attrs={"class": "toggle", **(attrs or {})}, choices=choices)


class WorkshopForm(OnceMixin, forms.Form):
    """A workshop. The participants offered are the persons present on the workshop's date:
    the form is built for a day (the posted date, else the initial one)."""

    date = forms.DateField(label="Date", widget=DateInput())
    title = forms.CharField(label="Titre", max_length=200)
    theme = forms.ChoiceField(label="Thème", choices=SupportDomain.choices)
    description = forms.CharField(
        label="Contenu", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    facilitators = forms.ModelMultipleChoiceField(
        label="Animé par",
        queryset=User.objects.none(),
        widget=CheckboxList,
        error_messages={"required": "Indiquez au moins une personne qui anime l’atelier."},
    )
    participants = forms.ModelMultipleChoiceField(
        label="Participants",
        queryset=Person.all_organisations.none(),
        required=False,
        widget=CheckboxList,
    )

    def __init__(
        self, *args, workshop: Workshop | None = None, refresh_url: str = "", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.day = self._day()
        if refresh_url:
            # With htmx, changing the date reloads the list of persons present that day (the
            # "refresh" button does the same without JavaScript).
            self.fields["date"].widget.attrs.update(
                {
                    "hx-post": refresh_url,
                    "hx-trigger": "change",
                    "hx-vals": '{"refresh": "1"}',
                    "hx-select": "#participants",
                    "hx-target": "#participants",
                    "hx-swap": "outerHTML",
                }
            )
        self.fields["facilitators"].queryset = network.facilitator_choices()
        persons = network.participant_choices(self.day)
        if workshop is not None:
            # Keep the recorded participants visible (the service says if one no longer fits).
            recorded = WorkshopParticipant.objects.filter(workshop=workshop).values("person_id")
            persons = (
                Person.objects.filter(Q(pk__in=persons.values("pk")) | Q(pk__in=recorded))
                .select_related("household")
                .order_by("household__reference", "household_id", "birth_date", "pk")
            )
        self._persons = list(persons)
        field = self.fields["participants"]
        field.queryset = persons
        field.widget.choices = [(person.pk, str(person)) for person in self._persons]

    @classmethod
    def initial_from(cls, data: QueryDict) -> dict:
        """What was typed, as initial values: to show the form again for another date
        without validating it."""
        return {
            "date": data.get("date", ""),
            "title": data.get("title", ""),
            "theme": data.get("theme", ""),
            "description": data.get("description", ""),
            "facilitators": data.getlist("facilitators"),
            "participants": data.getlist("participants"),
        }

    def _day(self) -> datetime.date:
        value = self.data.get("date") if self.is_bound else self.initial.get("date")
        if isinstance(value, datetime.date):
            return value
        try:
            return self.fields["date"].to_python(value) or timezone.localdate()
        except ValidationError:
            return timezone.localdate()

    def participant_groups(self) -> list[tuple[str, list]]:
        """The participant checkboxes grouped by household: (reference, checkboxes)."""
        groups: list[tuple[str, list]] = []
        household_id = None
        for person, checkbox in zip(self._persons, self["participants"], strict=True):
            if person.household_id != household_id:
                household_id = person.household_id
                groups.append((person.household.reference, []))
            groups[-1][1].append(checkbox)
        return groups
