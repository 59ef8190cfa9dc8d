"""Forms of the bank's accounts and statement imports."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from banking.codes import StatementFormat
from banking.mandates import clean_bic, clean_iban
from banking.models import BankAccount
from banking.parsers import MAX_FILE_BYTES
from banking.parsers.csv import DATE_FORMATS, DELIMITERS
from iml.forms import ScopedChoicesMixin, unscoped_none
from iml.submissions import OnceMixin

ACCEPTED = (".xml", ".053", ".054", ".ofx", ".qfx", ".csv", ".txt")
_ICS = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")


def creditor_id_valid(value: str) -> bool:
    """A SEPA creditor identifier (ICS): country, check digits (ISO 7064 mod 97-10 over the
    national identifier and the country, the business code left out), business code, id."""
    if not _ICS.match(value):
        return False
    digits = "".join(str(int(char, 36)) for char in value[7:] + value[:4])
    return int(digits) % 97 == 1


class BankAccountForm(forms.ModelForm):
    class Meta:
        model = BankAccount
        fields = ["label", "iban", "bic", "creditor_id"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.csv_mapping:
            self.fields["forget_csv_mapping"] = forms.BooleanField(
                label="Oublier la correspondance des colonnes CSV",
                required=False,
                help_text="Si la banque a changé son export CSV : le prochain import CSV "
                "demandera à nouveau quelle colonne est laquelle.",
            )

    # One check of bank details for accounts and mandates (``banking.mandates``).
    def clean_iban(self) -> str:
        try:
            return clean_iban(self.cleaned_data["iban"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["iban"]) from None

    def clean_bic(self) -> str:
        try:
            return clean_bic(self.cleaned_data["bic"], self.cleaned_data.get("iban") or "")
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["bic"]) from None

    def clean_creditor_id(self) -> str:
        value = self.cleaned_data["creditor_id"].replace(" ", "").upper()
        if value and not creditor_id_valid(value):
            raise forms.ValidationError(
                "Identifiant créancier SEPA (ICS) invalide : vérifiez-le (exemple : FR72ZZZ123456)."
            )
        return value


class BankAccountCreateForm(OnceMixin, BankAccountForm):
    pass


FORMAT_CHOICES = [("", "Reconnu automatiquement"), *StatementFormat.choices]


class StatementUploadForm(ScopedChoicesMixin, forms.Form):
    account = forms.ModelChoiceField(
        label="Compte",
        queryset=unscoped_none(BankAccount),
        empty_label=None,
        to_field_name="public_id",
    )
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, required=False)
    file = forms.FileField(
        label="Relevé",
        help_text="CAMT.053 ou camt.054 (XML ISO 20022), OFX, ou CSV exporté de la banque "
        f"({MAX_FILE_BYTES // (1024 * 1024)} Mo au plus).",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED)}),
    )

    scoped_querysets = {"account": lambda form: BankAccount.objects.all()}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"Fichier trop volumineux ({MAX_FILE_BYTES // (1024 * 1024)} Mo au plus)."
            )
        if upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        return upload


class CsvMappingForm(forms.Form):
    """Which column of the bank's CSV is which (saved on the account at its first import)."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    date = forms.CharField(label="Colonne de la date d’opération", max_length=100)
    label = forms.CharField(label="Colonne du libellé", max_length=100)
    amount = forms.CharField(
        label="Colonne du montant",
        max_length=100,
        required=False,
        help_text="Un montant signé : négatif au débit. Sinon, indiquez débit et crédit.",
    )
    debit = forms.CharField(label="Colonne du débit", max_length=100, required=False)
    credit = forms.CharField(label="Colonne du crédit", max_length=100, required=False)
    value_date = forms.CharField(
        label="Colonne de la date de valeur", max_length=100, required=False
    )
    reference = forms.CharField(label="Colonne de la référence", max_length=100, required=False)
    delimiter = forms.ChoiceField(
        label="Séparateur", choices=[(key, label) for key, label in DELIMITERS.items()]
    )
    date_format = forms.ChoiceField(
        label="Format des dates",
        choices=[("", "Reconnu automatiquement"), *((key, key) for key in DATE_FORMATS)],
        required=False,
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        has_amount = bool(cleaned.get("amount"))
        has_split = bool(cleaned.get("debit") or cleaned.get("credit"))
        if has_amount == has_split:
            raise forms.ValidationError(
                "Indiquez soit la colonne du montant, soit les colonnes débit et crédit."
            )
        if has_split and not (cleaned.get("debit") and cleaned.get("credit")):
            raise forms.ValidationError("Indiquez les deux colonnes : débit et crédit.")
        return cleaned

    def mapping(self) -> dict:
        keys = ("date", "label", "amount", "debit", "credit", "value_date", "reference",
                "delimiter", "date_format")  # fmt: skip
        return {key: self.cleaned_data[key] for key in keys if self.cleaned_data.get(key)}
