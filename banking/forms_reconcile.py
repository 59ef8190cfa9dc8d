"""The reconciliation's forms: a line split across households, a line set aside, the month
of the summary."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.forms import BoundField

from banking.models import BankAccount
from banking.rules import normalise
from banking.services import CONFIRMABLE_KINDS, Part
from households.models import Person
from iml.codes import LedgerKind, PersonRole
from iml.forms import MONEY_ATTRS, unscoped_none
from iml.submissions import OnceMixin
from tenancy.models import SubleaseContract

SPLIT_ROWS = 4
KIND_CHOICES = [(kind.value, kind.label) for kind in LedgerKind if kind in CONFIRMABLE_KINDS]


def _referent(field: str) -> Subquery:
    return Subquery(
        Person.objects.filter(household=OuterRef("household"), role=PersonRole.REFERENT)
        .order_by("pk")
        .values(field)[:1]
    )


def contract_choices(search: str = "") -> QuerySet[SubleaseContract]:
    """Contracts a bank credit may go to (not cancelled), named by their household's
    reference person; ``search`` narrows them by a person's name or a reference."""
    contracts = (
        SubleaseContract.objects.filter(cancelled_at__isnull=True)
        .select_related("household")
        .annotate(holder_last=_referent("last_name"), holder_first=_referent("first_name"))
        .order_by("holder_last", "holder_first", "-start_date", "pk")
    )
    words = normalise(search).lower().split()
    for word in words:
        contracts = contracts.filter(
            Q(household__persons__search_name__contains=word)
            | Q(reference__icontains=word)
            | Q(household__reference__icontains=word)
        )
    return contracts.distinct() if words else contracts


class ContractField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SubleaseContract) -> str:
        # Annotated by ``contract_choices``.
        names = [getattr(obj, "holder_last", ""), getattr(obj, "holder_first", "")]
        name = " ".join(filter(None, names))
        return f"{name or obj.household.reference} — contrat {obj.reference}"


class LineSplitForm(OnceMixin, forms.Form):
    """Up to ``SPLIT_ROWS`` parts: a household's contract, a kind, an amount each."""

    def __init__(self, *args: Any, contracts: QuerySet[SubleaseContract], remainder: Decimal,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.remainder = remainder
        for row in range(1, SPLIT_ROWS + 1):
            self.fields[f"contract_{row}"] = ContractField(
                queryset=contracts,
                required=False,
                to_field_name="public_id",
                label=f"Ménage {row}",
                empty_label="—",
            )
            self.fields[f"kind_{row}"] = forms.ChoiceField(
                label=f"Nature {row}", choices=KIND_CHOICES, initial=LedgerKind.PAIEMENT
            )
            self.fields[f"amount_{row}"] = forms.DecimalField(
                label=f"Montant {row}",
                required=False,
                max_digits=12,
                decimal_places=2,
                min_value=Decimal("0.01"),
                widget=forms.NumberInput(attrs=MONEY_ATTRS),
            )

    @property
    def rows(self) -> list[tuple[BoundField, BoundField, BoundField]]:
        return [
            (self[f"contract_{row}"], self[f"kind_{row}"], self[f"amount_{row}"])
            for row in range(1, SPLIT_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        parts = []
        for row in range(1, SPLIT_ROWS + 1):
            contract, amount = data.get(f"contract_{row}"), data.get(f"amount_{row}")
            if contract is None and amount is None:
                continue
            if contract is None:
                self.add_error(f"contract_{row}", "Choisissez le ménage de ce montant.")
            elif amount is None:
                self.add_error(f"amount_{row}", "Indiquez le montant de ce ménage.")
            else:
                parts.append(Part(contract, data.get(f"kind_{row}", LedgerKind.PAIEMENT), amount))
        if not parts and not self.errors:
            raise forms.ValidationError("Indiquez au moins un ménage et un montant.")
        data["parts"] = parts
        return data


class SetAsideForm(forms.Form):
    note = forms.CharField(
        label="Pourquoi l’écarter ?",
        max_length=300,
        help_text="Frais bancaires, remboursement d’un bailleur… (obligatoire)",
    )


class SummaryForm(forms.Form):
    compte = forms.ModelChoiceField(
        label="Compte", queryset=unscoped_none(BankAccount), to_field_name="public_id",
        empty_label=None,
    )  # fmt: skip
    mois = forms.CharField(
        label="Mois", widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["compte"]).queryset = BankAccount.objects.all()

    def clean_mois(self) -> datetime.date:
        value = self.cleaned_data["mois"]
        found = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise forms.ValidationError("Indiquez un mois sous la forme AAAA-MM.")
        return datetime.date(int(found.group(1)), int(found.group(2)), 1)
