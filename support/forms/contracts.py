"""Forms of the support-contract screens. They check the input's shape; the services
(support.contracts) check the rules, and the database the invariants."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from iml.codes import SupportDomain
from iml.submissions import OnceMixin
from support.contracts import TEXT_MAX, support_referents
from support.models import ObjectiveStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OBJECTIVE_ROWS = 3
DOMAIN_CHOICES = [("", "— domaine —"), *SupportDomain.choices]


def _date(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE, **kwargs)


def _domain(label: str = "Domaine", required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=DOMAIN_CHOICES, required=required)


def _text(label: str = "Objectif", required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, max_length=TEXT_MAX, required=required)


class ContractSignForm(forms.Form):
    """The signature, and up to three first objectives (empty rows are ignored)."""

    signed_on = _date("Signé le", initial=timezone.localdate)
    referent = forms.ModelChoiceField(
        label="Référent·e de l’accompagnement",
        queryset=None,
        help_text="Travailleur·se social·e ou chef·fe de service.",
    )
    notes = forms.CharField(
        label="Observations", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The current organisation exists only while a request runs: the choices are built here.
        self.fields["referent"].queryset = support_referents()
        for number in range(1, OBJECTIVE_ROWS + 1):
            self.fields[f"domain_{number}"] = _domain(f"Domaine, objectif {number}", False)
            self.fields[f"text_{number}"] = _text(f"Objectif {number}", False)

    def objective_rows(self):
        """``[(number, domain field, text field), …]`` for the template."""
        return [
            (number, self[f"domain_{number}"], self[f"text_{number}"])
            for number in range(1, OBJECTIVE_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        for number in range(1, OBJECTIVE_ROWS + 1):
            domain = data.get(f"domain_{number}")
            text = (data.get(f"text_{number}") or "").strip()
            if domain and not text and f"text_{number}" not in self.errors:
                self.add_error(f"text_{number}", "Décrivez l’objectif, ou videz la ligne.")
            if text and not domain and f"domain_{number}" not in self.errors:
                self.add_error(f"domain_{number}", "Choisissez le domaine de l’objectif.")
        return data

    def objectives(self) -> list[tuple[str, str]]:
        rows = []
        for number in range(1, OBJECTIVE_ROWS + 1):
            domain = self.cleaned_data.get(f"domain_{number}") or ""
            text = (self.cleaned_data.get(f"text_{number}") or "").strip()
            if domain or text:
                rows.append((domain, text))
        return rows


class RenewalForm(OnceMixin, forms.Form):
    signed_on = _date("Avenant signé le", initial=timezone.localdate)
    months = forms.IntegerField(label="Prolongation (mois)", min_value=1, max_value=12, initial=6)
    justification = forms.CharField(
        label="Justification",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire si l’accompagnement dépasse 18 mois de séjour.",
    )


class ObjectiveForm(OnceMixin, forms.Form):
    domain = _domain()
    text = _text()
    start_date = _date("Fixé le", initial=timezone.localdate)


class ObjectiveCloseForm(forms.Form):
    status = forms.ChoiceField(
        label="Clôture",
        choices=[(ObjectiveStatus.ATTEINT, "atteint"), (ObjectiveStatus.ABANDONNE, "abandonné")],
    )
    closed_on = _date("Clos le")
