"""The demand's and the proposals' forms."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from iml.codes import ProposalAnswer, Typology
from iml.submissions import OnceMixin
from rehousing.models import HousingDemand, Measure, Proposal, SlidePlan

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DemandForm(forms.ModelForm):
    typologies = forms.MultipleChoiceField(
        label="Typologies souhaitées", choices=Typology.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = HousingDemand
        fields = [
            "number", "filed_on", "renewed_on", "communes", "typologies", "syplo_on",
            "dalo_on", "accord_collectif", "contingent_prefectoral", "closed_on", "note",
        ]  # fmt: skip
        widgets = dict.fromkeys(
            ("filed_on", "renewed_on", "syplo_on", "dalo_on", "closed_on"), DATE
        )


class ProposalForm(OnceMixin, forms.ModelForm):
    def clean(self) -> dict:
        """The answer's date and the refusal's reason follow the answer (before the model's
        constraints, so that the user reads what to do)."""
        data = super().clean()
        answer = data.get("answer")
        if answer == ProposalAnswer.EN_ATTENTE:
            data["answered_on"] = None
        elif answer and data.get("answered_on") is None:
            data["answered_on"] = timezone.localdate()
        if answer != ProposalAnswer.REFUSEE:
            data["refusal_reason"] = ""
        elif not data.get("refusal_reason"):
            self.add_error("refusal_reason", "Indiquez pourquoi le ménage refuse.")
        return data

    class Meta:
        model = Proposal
        fields = ["landlord", "parc", "address", "city", "typology", "rent", "received_on",
                  "cal_on", "cal_decision", "answer", "answered_on", "refusal_reason",
                  "move_in_on", "note"]  # fmt: skip
        widgets = dict.fromkeys(("received_on", "cal_on", "answered_on", "move_in_on"), DATE)
        localized_fields = ["rent"]


class MeasureForm(OnceMixin, forms.ModelForm):
    # Its queryset is the organisation's, set by the view (none exists at import time).
    partner = forms.ModelChoiceField(
        label="Partenaire qui la porte", queryset=None, required=False, empty_label="—"
    )

    class Meta:
        model = Measure
        fields = ["kind", "funder", "partner", "start_on", "end_on", "handover_on",
                  "handover_to", "note"]  # fmt: skip
        widgets = dict.fromkeys(("start_on", "end_on", "handover_on"), DATE)


YES_NO_UNKNOWN = [("", "ne sait pas"), ("true", "oui"), ("false", "non")]


class FollowUpForm(forms.Form):
    contacted_on = forms.DateField(label="Contact le", widget=DATE)
    housed = forms.TypedChoiceField(
        label="Toujours dans son logement", choices=YES_NO_UNKNOWN, required=False,
        coerce=lambda value: value == "true", empty_value=None,
    )  # fmt: skip
    debts = forms.TypedChoiceField(
        label="Des dettes de loyer", choices=YES_NO_UNKNOWN, required=False,
        coerce=lambda value: value == "true", empty_value=None,
    )  # fmt: skip
    needs = forms.CharField(label="Besoins", max_length=300, required=False)


class SlidePlanForm(OnceMixin, forms.ModelForm):
    class Meta:
        model = SlidePlan
        fields = ["considered_on", "planned_on", "owner_consent_on", "cal_on", "cal_decision",
                  "tripartite_on", "pre_exit_inventory_on", "note"]  # fmt: skip
        widgets = dict.fromkeys(
            ("considered_on", "planned_on", "owner_consent_on", "cal_on", "tripartite_on",
             "pre_exit_inventory_on"),
            DATE,
        )  # fmt: skip
        help_texts = {
            "cal_on": "Seulement quand le logement est celui d’un bailleur social.",
            "pre_exit_inventory_on": "La visite du logement avec le propriétaire avant que le "
            "bail ne glisse.",
        }
