"""The demand's and the proposals' forms."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from iml.codes import ProposalAnswer, Typology
from iml.submissions import OnceMixin
from rehousing.models import HousingDemand, Proposal

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
