"""Forms of the CAF batch and owner screens. They parse input (French decimal comma, months
as YYYY-MM); the rules are the services'."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from iml.codes import PaymentMethod
from iml.forms import DateInput
from iml.submissions import OnceMixin
from tenancy.amounts import MAX_AMOUNT, month_start
from tenancy.owners import CafBatch, CafLine

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
INVALID_AMOUNT = "Montant invalide : saisissez par exemple 240,10."
AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "size": "9"}


def parse_month(value: str | None) -> datetime.date | None:
    """``2025-06`` → 1 June 2025; None for anything else (or a year out of range)."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def format_amount(amount: Decimal) -> str:
    """240.1 → « 240,10 », as typed in the amount fields."""
    return f"{amount:.2f}".replace(".", ",")


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.Field):
    """A month typed as YYYY-MM (the browser's month picker), cleaned to its first day."""

    widget = MonthInput

    def to_python(self, value) -> datetime.date | None:
        if isinstance(value, datetime.date):
            return month_start(value)
        if value in self.empty_values:
            return None
        month = parse_month(str(value))
        if month is None:
            raise ValidationError(
                f"Mois invalide : choisissez un mois entre {FIRST_YEAR} et {LAST_YEAR} "
                "(par exemple 2025-06)."
            )
        return month

    def prepare_value(self, value):
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m}"
        return value


class AmountField(forms.Field):
    """Euros typed the French way (« 240,10 », « 1 240,10 ») or with a dot; positive, at most
    two decimals."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs=AMOUNT_ATTRS))
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values or not str(value).strip():
            return None
        value = str(value).strip()
        if len(value) > 20:
            raise ValidationError(INVALID_AMOUNT)
        cleaned = re.sub(r"[\s\u00a0\u202f]", "", value).removesuffix("€").replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
            raise ValidationError(INVALID_AMOUNT)
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValidationError(INVALID_AMOUNT) from None
        if amount < 0:
            raise ValidationError("Un montant ne peut pas être négatif.")
        if amount == 0:
            raise ValidationError("Le montant doit être positif.")
        if amount > MAX_AMOUNT:
            raise ValidationError("Montant trop élevé (99 999,99 € au plus).")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("Un montant a au plus deux décimales (les centimes).")
        return amount.quantize(Decimal("0.01"))


def past_date_field(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput(),
        error_messages={"invalid": "Date invalide.", "required": "La date est obligatoire."},
        **kwargs,
    )


def _not_in_future(day: datetime.date | None) -> datetime.date | None:
    if day is not None and day > timezone.localdate():
        raise ValidationError("La date ne peut pas être dans le futur.")
    if day is not None and day.year < FIRST_YEAR:
        raise ValidationError(f"Date invalide : avant {FIRST_YEAR}.")
    return day


class MonthForm(forms.Form):
    """The month shown by a monthly screen (``?mois=YYYY-MM``); the current one by default."""

    mois = MonthField(label="Mois", required=False)

    @classmethod
    def from_query(cls, query) -> MonthForm:
        """Bound to the query string, the current month filled in when it has none."""
        data = query.copy()
        if not data.get("mois"):
            data["mois"] = f"{timezone.localdate():%Y-%m}"
        return cls(data)

    def month(self) -> datetime.date:
        if self.is_valid() and self.cleaned_data["mois"]:
            return self.cleaned_data["mois"]
        return month_start(timezone.localdate())


class CafBatchForm(forms.Form):
    """The amounts received from the CAF for a month, one field per line, and the date of
    the transfer. A line already recorded keeps a field (not shown): posting it again (a
    double submission) reaches the service, which refuses the whole batch."""

    date = past_date_field("Date de réception du virement CAF")

    def __init__(self, *args, batch: CafBatch, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.fields["date"].initial = timezone.localdate()
        self.line_fields: list[tuple[CafLine, str]] = []
        for line in batch.lines:
            name = f"recu-{line.contract.public_id}"
            self.fields[name] = AmountField(
                label=f"Montant reçu pour {line.contract.household.reference}",
                required=False,
                initial=None if line.recorded else format_amount(line.expected),
            )
            self.line_fields.append((line, name))

    def clean_date(self) -> datetime.date | None:
        day = _not_in_future(self.cleaned_data.get("date"))
        if day is not None and day < self.batch.month:
            raise ValidationError(
                f"La CAF verse l’aide de {self.batch.month:%m/%Y} au plus tôt dans ce mois : "
                "vérifiez la date de réception."
            )
        return day

    def rows(self) -> list[tuple[CafLine, forms.BoundField]]:
        return [(line, self[name]) for line, name in self.line_fields]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not self.received():
            raise ValidationError(
                "Aucun montant saisi : indiquez ce que la CAF a versé pour au moins un ménage."
            )
        return cleaned

    def received(self) -> dict:
        """{contract: amount} of the lines with an amount."""
        return {
            line.contract: self.cleaned_data[name]
            for line, name in self.line_fields
            if self.cleaned_data.get(name) is not None
        }


PAYMENT_METHODS = [(v, label) for v, label in PaymentMethod.choices if v != PaymentMethod.CAF]


class LandlordPaymentForm(OnceMixin, forms.Form):
    period = MonthField(label="Mois payé", help_text="Le mois de loyer que couvre ce paiement.")
    paid_on = past_date_field("Payé le")
    amount = AmountField(label="Montant (€)", help_text="Par exemple 550,00.")
    method = forms.ChoiceField(
        label="Mode de paiement", choices=PAYMENT_METHODS, initial=PaymentMethod.VIREMENT
    )
    reference = forms.CharField(
        label="Référence",
        max_length=100,
        required=False,
        help_text="N° de chèque, référence du virement…",
    )

    def clean_paid_on(self) -> datetime.date | None:
        return _not_in_future(self.cleaned_data.get("paid_on"))
