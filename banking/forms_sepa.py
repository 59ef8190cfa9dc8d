"""Forms of the direct-debit pages: mandates, the month's run, a rejection typed in, a
camt.054 notice."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from banking.codes import RejectionReason
from banking.models import BankAccount
from households.models import Household
from iml.codes import PaperKind
from iml.forms import DateInput, unscoped_none
from iml.models import Membership
from iml.submissions import OnceMixin
from papers.access import visible
from papers.models import Paper
from tenancy.amounts import month_start, next_month

# The papers a scanned mandate may be filed as.
MANDATE_PAPERS = (PaperKind.RIB, PaperKind.COURRIER, PaperKind.AUTRE)


class MandateForm(forms.Form):
    reference = forms.CharField(
        label="Référence unique du mandat (RUM)",
        max_length=35,
        help_text="Proposée par le logiciel ; elle figure sur le mandat signé.",
    )
    debtor_name = forms.CharField(label="Titulaire du compte", max_length=140)
    iban = forms.CharField(label="IBAN", max_length=42)
    bic = forms.CharField(
        label="BIC",
        max_length=14,
        required=False,
        help_text="Laissez vide : il est déduit de l’IBAN quand la banque est connue.",
    )
    signed_on = forms.DateField(label="Signé le", widget=DateInput)
    debit_day = forms.IntegerField(
        label="Jour du prélèvement",
        min_value=1,
        max_value=28,
        help_text="Du 1 au 28, le jour choisi par le ménage.",
    )
    paper = forms.ModelChoiceField(
        label="Mandat signé (pièce du ménage)",
        queryset=unscoped_none(Paper),
        required=False,
        help_text="Une pièce déjà ajoutée au dossier du ménage (RIB, courrier, autre).",
    )

    def __init__(self, *args, household: Household, membership: Membership | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paper"].queryset = (
            visible(membership)
            .filter(household=household, kind__in=MANDATE_PAPERS)
            .order_by("-issued_on", "-pk")
        )
        self.fields["paper"].label_from_instance = lambda paper: (
            f"{paper.get_kind_display()} du {paper.issued_on:%d/%m/%Y}"
            + (f" — {paper.note}" if paper.note else "")
        )


class MandateCreateForm(OnceMixin, MandateForm):
    pass


class MandateRevokeForm(forms.Form):
    revoked_on = forms.DateField(label="Révoqué le", widget=DateInput)


def month_choices(today: datetime.date) -> list[tuple[str, str]]:
    """This month and the next two: a run is prepared ahead of its collections."""
    months, month = [], month_start(today)
    for _ in range(3):
        months.append((month.isoformat(), f"{month:%m/%Y}"))
        month = next_month(month)
    return months


class RunForm(OnceMixin, forms.Form):
    account = forms.ModelChoiceField(label="Compte", queryset=unscoped_none(BankAccount))
    month = forms.TypedChoiceField(label="Mois", coerce=datetime.date.fromisoformat, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = BankAccount.objects.order_by("label", "pk")
        self.fields["month"].choices = month_choices(timezone.localdate())


class DebitRejectForm(forms.Form):
    date = forms.DateField(label="Rejeté le", widget=DateInput)
    reason = forms.ChoiceField(label="Motif", choices=RejectionReason.choices)


class NoticeForm(OnceMixin, forms.Form):
    file = forms.FileField(
        label="Avis de rejet (camt.054)",
        help_text="Le fichier XML que la banque envoie pour les prélèvements impayés.",
    )
