"""Forms of the CAF's bulk payment: the CAF's detail to import, a household's allocataire
number."""

from __future__ import annotations

from django import forms

from banking.caf_detail import MAX_BYTES
from households.models import Household
from iml.forms import unscoped_none
from iml.submissions import OnceForm


class CafDetailForm(OnceForm):
    file = forms.FileField(
        label="Détail du versement (fichier CSV de la CAF)",
        help_text="La liste des bénéficiaires exportée du site de la CAF : n° d’allocataire, "
        "nom, période (MM/AAAA) et montant, colonnes séparées par « ; » ou « , ».",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("Fichier trop volumineux (2 Mo au plus).")
        return upload


class AllocataireForm(forms.Form):
    household = forms.ModelChoiceField(
        label="Ménage",
        queryset=unscoped_none(Household),
        empty_label="Choisissez le ménage",
        to_field_name="public_id",
        help_text="Les ménages dont un contrat court pendant le mois de la ligne.",
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = candidates
