"""Forms of the contract and ledger screens. They check the input's shape; the services check
the rules (and the database the invariants)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from iml.codes import LedgerKind, PaymentMethod
from iml.submissions import OnceForm, OnceMixin
from tenancy.amounts import parse_amount

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.Field):
    """Euros typed the French way ("125,50", "1 250") or with a point; a Decimal comes out."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 20}),
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = str(value).strip() if value is not None else ""
        if value in self.empty_values:
            return None
        if len(value) > 20:
            raise forms.ValidationError("Montant invalide : saisissez par exemple 125,50.")
        return parse_amount(value)


def today_field(label: str = "Date") -> forms.DateField:
    return forms.DateField(label=label, initial=timezone.localdate, widget=DATE)


HOUSEHOLD_METHODS = [(v, label) for v, label in PaymentMethod.choices if v != PaymentMethod.CAF]


class PaymentForm(OnceForm):
    amount = AmountField(label="Montant (€)")
    method = forms.ChoiceField(label="Mode de paiement", choices=HOUSEHOLD_METHODS)
    date = today_field("Date du paiement")
    reference = forms.CharField(
        label="Référence", required=False, max_length=100, help_text="N° de chèque, de virement…"
    )
    # Shown only when the payment goes beyond what the household owes (``ask_confirmation``).
    confirmed = forms.BooleanField(
        label="Je confirme ce paiement", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["autofocus"] = True
        if self.data.get("confirmed") not in (None, "", "False", "false"):
            self.ask_confirmation()

    def ask_confirmation(self) -> None:
        self.fields["confirmed"].widget = forms.CheckboxInput()


class EntryKind:
    AIDE = "aide"
    REGULARISATION_DEBIT = "regularisation_debit"
    REGULARISATION_CREDIT = "regularisation_credit"
    DEGRADATION = "degradation"


class ChargeForm(OnceMixin, forms.Form):
    """Entries other than rent calls and the household's payments."""

    kind = forms.ChoiceField(
        label="Nature",
        choices=[
            (EntryKind.AIDE, "Aide versée pour le ménage (FSL, CCAS…) — crédit"),
            (EntryKind.REGULARISATION_DEBIT, "Régularisation de charges due par le ménage — débit"),
            (EntryKind.REGULARISATION_CREDIT, "Régularisation de charges en sa faveur — crédit"),
            (EntryKind.DEGRADATION, "Dégradations facturées — débit"),
        ],
    )
    amount = AmountField(label="Montant (€)")
    date = today_field()
    note = forms.CharField(label="Motif", max_length=300)
    reference = forms.CharField(label="Référence", required=False, max_length=100)

    KIND_OF = {
        EntryKind.AIDE: LedgerKind.AIDE,
        EntryKind.REGULARISATION_DEBIT: LedgerKind.REGULARISATION,
        EntryKind.REGULARISATION_CREDIT: LedgerKind.REGULARISATION,
        EntryKind.DEGRADATION: LedgerKind.DEGRADATION,
    }


def euros_field(label: str) -> forms.DecimalField:
    """Euros, zero allowed, typed the French way ("12,50")."""
    return forms.DecimalField(
        label=label, min_value=0, max_digits=8, decimal_places=2, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip


class TermsCorrectionForm(forms.Form):
    rent = euros_field("Loyer mensuel (€)")
    charges = euros_field("Charges mensuelles (€)")
    expected_housing_benefit = euros_field("Aide au logement attendue (€)")
    reason = forms.CharField(
        label="Motif", max_length=200, help_text="Ex. loyer mal saisi à l’entrée."
    )


class ReversalForm(forms.Form):
    date = today_field("Date de l’annulation")
    reason = forms.CharField(
        label="Motif", max_length=300, help_text="Ex. chèque rejeté, erreur de saisie."
    )


class RenewalForm(OnceMixin, forms.Form):
    signed_on = today_field("Avenant signé le")
    months = forms.IntegerField(label="Prolongation (mois)", min_value=1, max_value=12, initial=6)
    justification = forms.CharField(
        label="Justification",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire si le séjour dépasse 18 mois.",
    )


class SlideForm(forms.Form):
    slide_date = today_field("Date du glissement du bail")
    confirm = forms.BooleanField(
        label="Je confirme : le ménage devient locataire en titre, il sort du dispositif et le "
        "logement sort du parc."
    )


class PlanForm(forms.Form):
    signed_on = today_field("Signé le")
    instalment = AmountField(label="Mensualité (€)", help_text="En plus du loyer résiduel.")
    first_due_date = forms.DateField(label="Première échéance", widget=DATE)
    note = forms.CharField(
        label="Observations", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PlanBreakForm(forms.Form):
    on = today_field("Rompu le")
    reason = forms.CharField(label="Motif", max_length=300)


class JournalDayForm(forms.Form):
    date = forms.DateField(label="Jour", widget=DATE, required=False)
