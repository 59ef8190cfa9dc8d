"""Forms of inventories (états des lieux) and incidents (their list's filter is in
tenancy.filters). Rules live in tenancy.inventories."""

from __future__ import annotations

from django import forms

from iml.forms import MONEY_ATTRS, DateInput
from iml.submissions import OnceMixin
from tenancy.models import IncidentKind, IncidentStatus, ItemCondition

EXTRA_ROWS = 4


class InventoryForm(forms.Form):
    date = forms.DateField(label="Date de l’état des lieux", widget=DateInput())
    notes = forms.CharField(
        label="Observations générales",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Relevés des compteurs, clés remises, remarques du ménage…",
    )
    damages = forms.DecimalField(
        label="Dégradations facturées au ménage",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
        help_text="En euros ; laissez vide s’il n’y a rien à facturer. Le montant est inscrit "
        "au compte du ménage.",
    )

    def __init__(self, *args, exit: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not exit:  # damages are charged at exit only
            del self.fields["damages"]


class InventoryItemForm(forms.Form):
    """One row: a room, an element, its condition and remarks. A row left entirely empty is
    ignored; a row begun must say room, element and condition."""

    room = forms.CharField(label="Pièce", max_length=60, required=False)
    item = forms.CharField(label="Élément", max_length=100, required=False)
    condition = forms.ChoiceField(
        label="État", choices=[("", "—"), *ItemCondition.choices], required=False
    )
    notes = forms.CharField(label="Remarques", max_length=300, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not any((data.get(name) or "").strip() for name in self.fields):
            return {}
        for name, message in (
            ("room", "Indiquez la pièce (ou videz la ligne)."),
            ("item", "Indiquez l’élément (ou videz la ligne)."),
            ("condition", "Choisissez l’état (ou videz la ligne)."),
        ):
            if not (data.get(name) or "").strip():
                self.add_error(name, message)
        return data


class BaseInventoryItemFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError("Relevez au moins un élément (pièce, élément et état).")

    def rows(self) -> list[dict]:
        """The rows filled in, in order."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


InventoryItemFormSet = forms.formset_factory(
    InventoryItemForm, formset=BaseInventoryItemFormSet, extra=EXTRA_ROWS, max_num=200
)


class IncidentForm(OnceMixin, forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=IncidentKind.choices)
    reported_on = forms.DateField(label="Signalé le", widget=DateInput())
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Ce qui est constaté, où, depuis quand ; qui a été prévenu (bailleur, syndic, "
        "artisan).",
    )


class IncidentStatusForm(forms.Form):
    status = forms.ChoiceField(label="État", choices=IncidentStatus.choices)
    resolved_on = forms.DateField(
        label="Résolu le",
        required=False,
        widget=DateInput(),
        help_text="Seulement pour un incident résolu.",
    )
