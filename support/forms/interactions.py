"""Forms of the interaction screens (the quick log fits a 375 px screen)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from households.models import Household
from iml.codes import InteractionType, SupportDomain
from iml.submissions import OnceMixin
from support.interactions import staff_members

DURATIONS = [("", "—"), (15, "15 min"), (30, "30 min"), (45, "45 min"), (60, "1 h"),
             (90, "1 h 30"), (120, "2 h"), (180, "3 h")]  # fmt: skip


# The domains' short names, for buttons a thumb can tap on a phone (the report and the
# timeline keep the full labels of ``SupportDomain``).
SHORT_DOMAINS = {
    SupportDomain.ADMINISTRATIF: "démarches, droits",
    SupportDomain.BUDGET: "budget",
    SupportDomain.LOGEMENT: "logement",
    SupportDomain.SANTE: "santé",
    SupportDomain.EMPLOI: "emploi, formation",
    SupportDomain.LANGUE: "français",
    SupportDomain.TITRE_SEJOUR: "séjour, OFPRA",
    SupportDomain.FAMILLE: "famille, école",
    SupportDomain.SOCIAL: "lien social",
    SupportDomain.MOBILITE: "mobilité",
}
DOMAIN_PILLS = [(code, SHORT_DOMAINS.get(code, label)) for code, label in SupportDomain.choices]


class InteractionForm(OnceMixin, forms.Form):
    date = forms.DateField(
        label="Date", initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip
    # A list, not buttons: the frequent case (a home visit) is chosen already, and the form
    # fits one phone screen.
    kind = forms.ChoiceField(
        label="Type", choices=InteractionType.choices, initial=InteractionType.VISITE_DOMICILE,
    )  # fmt: skip
    domains = forms.MultipleChoiceField(
        label="Domaines abordés", choices=DOMAIN_PILLS, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "toggle"}),
    )  # fmt: skip
    duration_minutes = forms.TypedChoiceField(
        label="Durée", choices=DURATIONS, coerce=int, empty_value=None, required=False
    )
    persons = forms.ModelMultipleChoiceField(
        label="Personnes présentes", queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "toggle"}),
    )  # fmt: skip
    staff = forms.ModelMultipleChoiceField(
        label="Avec", queryset=None, required=False,
        help_text="Vous êtes compté·e d’office ; ajoutez un·e collègue pour une visite conjointe.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "toggle"}),
    )  # fmt: skip
    notes = forms.CharField(
        label="Notes confidentielles", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Lues par l’équipe sociale seulement.",
    )  # fmt: skip
    next_appointment = forms.DateTimeField(
        label="Prochain rendez-vous", required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )  # fmt: skip

    def __init__(self, *args, household: Household, user, **kwargs):
        super().__init__(*args, **kwargs)
        present = household.persons.filter(left_date__isnull=True).order_by("birth_date")
        self.fields["persons"].queryset = present
        self.fields["persons"].label_from_instance = lambda p: p.first_name
        self.fields["persons"].initial = list(present)
        self.fields["staff"].queryset = staff_members().exclude(pk=user.pk)
        self.fields["staff"].label_from_instance = lambda u: u.get_full_name() or u.email

    def clean(self):
        data = super().clean()
        if data.get("kind") != InteractionType.RDV_NON_HONORE and not data.get("domains"):
            # A contact is about something: the annual report counts domains.
            self.add_error("domains", "Cochez au moins un domaine abordé.")
        return data


class TimelineFilterForm(forms.Form):
    type = forms.MultipleChoiceField(
        label="Afficher", required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "toggle"}),
    )  # fmt: skip

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = choices
