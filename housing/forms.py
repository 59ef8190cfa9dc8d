"""Forms of the housing screens. Business rules live in services; forms parse input."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet

from housing.models import (
    EnergyClass,
    HousingUnit,
    Landlord,
    LeaseGuarantee,
    MainLease,
    Prospect,
    ProspectStatus,
    Room,
)
from iml.codes import AnahConvention, ManagementMode, UnitReturnReason
from iml.forms import MONEY_ATTRS, DateInput, ScopedChoicesMixin, unscoped_none
from iml.models import Dispositif
from iml.submissions import OnceMixin

POSTCODE_ATTRS = {"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": "5"}


def _dispositifs(form: forms.BaseForm) -> QuerySet[Dispositif]:
    current = getattr(getattr(form, "instance", None), "dispositif_id", None)
    return Dispositif.objects.filter(Q(is_active=True) | Q(pk=current)).order_by("code")


def _landlords(form: forms.BaseForm) -> QuerySet[Landlord]:
    return Landlord.objects.order_by("name")


class UnitForm(OnceMixin, ScopedChoicesMixin, forms.ModelForm):
    dispositif = forms.ModelChoiceField(
        label="Dispositif", queryset=unscoped_none(Dispositif), empty_label=None
    )
    landlord = forms.ModelChoiceField(
        label="Bailleur",
        queryset=unscoped_none(Landlord),
        required=False,
        empty_label="— non renseigné —",
    )
    scoped_querysets = {"dispositif": _dispositifs, "landlord": _landlords}

    class Meta:
        model = HousingUnit
        fields = [
            "reference",
            "dispositif",
            "address",
            "postcode",
            "city",
            "sector",
            "typology",
            "places",
            "colocation",
            "parc",
            "management_mode",
            "anah_convention",
            "energy_class",
            "landlord",
            "rent",
            "charges",
            "captation_date",
        ]
        widgets = {
            "postcode": forms.TextInput(attrs=POSTCODE_ATTRS),
            "captation_date": DateInput(),
            "rent": forms.NumberInput(attrs=MONEY_ATTRS),
            "charges": forms.NumberInput(attrs=MONEY_ATTRS),
            "places": forms.NumberInput(attrs={"min": "1"}),
        }
        help_texts = {
            "rent": "Loyer en cours (après révision éventuelle) ; le bail principal garde le "
            "loyer signé."
        }


class RoomForm(OnceMixin, forms.ModelForm):
    class Meta:
        model = Room
        fields = ["label", "places", "reference"]
        widgets = {"places": forms.NumberInput(attrs={"min": "1"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new room may leave its reference empty: the service derives it from the unit's.
        if not self.instance._state.adding:
            self.fields["reference"].required = True
            self.fields["reference"].help_text = "Unique dans l’organisation."
        else:
            self.fields["reference"].required = False


class MainLeaseForm(OnceMixin, ScopedChoicesMixin, forms.ModelForm):
    landlord = forms.ModelChoiceField(label="Bailleur", queryset=unscoped_none(Landlord))
    scoped_querysets = {"landlord": _landlords}

    class Meta:
        model = MainLease
        fields = [
            "landlord",
            "management_mode",
            "start_date",
            "end_date",
            "rent",
            "charges",
            "deposit",
            "guarantee",
            "guarantee_reference",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "rent": forms.NumberInput(attrs=MONEY_ATTRS),
            "charges": forms.NumberInput(attrs=MONEY_ATTRS),
            "deposit": forms.NumberInput(attrs=MONEY_ATTRS),
        }


class UnitReturnForm(forms.Form):
    return_date = forms.DateField(
        label="Date de restitution",
        widget=DateInput(),
        help_text="Premier jour où le logement ne compte plus dans le parc.",
    )
    return_reason = forms.ChoiceField(label="Motif", choices=UnitReturnReason.choices)


class LandlordForm(OnceMixin, forms.ModelForm):
    class Meta:
        model = Landlord
        fields = ["kind", "name", "contact_name", "phone", "email", "address", "notes"]
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class ProspectForm(OnceMixin, ScopedChoicesMixin, forms.ModelForm):
    landlord = forms.ModelChoiceField(
        label="Bailleur enregistré",
        queryset=unscoped_none(Landlord),
        required=False,
        empty_label="— nouveau bailleur, indiqué ci-dessous —",
    )
    scoped_querysets = {"landlord": _landlords}

    class Meta:
        model = Prospect
        fields = [
            "landlord",
            "landlord_name",
            "landlord_kind",
            "contact",
            "address",
            "postcode",
            "city",
            "typology",
            "rent_asked",
            "next_step",
            "next_step_date",
            "notes",
        ]
        widgets = {
            "postcode": forms.TextInput(attrs=POSTCODE_ATTRS),
            "rent_asked": forms.NumberInput(attrs=MONEY_ATTRS),
            "next_step_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class ProspectMoveForm(forms.Form):
    status = forms.ChoiceField(choices=ProspectStatus.choices)


class ProspectCaptureForm(ScopedChoicesMixin, forms.Form):
    """What captation adds to a prospect: the unit's reference and places, the lease terms."""

    dispositif = forms.ModelChoiceField(
        label="Dispositif", queryset=unscoped_none(Dispositif), empty_label=None
    )
    reference = forms.CharField(label="Référence du logement", max_length=50)
    captation_date = forms.DateField(
        label="Date de captation",
        widget=DateInput(),
        help_text="Prise d’effet du bail principal ; le logement compte dans le parc ce jour-là.",
    )
    places = forms.IntegerField(
        label="Places", min_value=1, widget=forms.NumberInput(attrs={"min": "1"})
    )
    colocation = forms.BooleanField(label="Colocation", required=False)
    sector = forms.CharField(label="Secteur", max_length=100, required=False)
    management_mode = forms.ChoiceField(label="Mode de gestion", choices=ManagementMode.choices)
    anah_convention = forms.ChoiceField(
        label="Conventionnement ANAH",
        choices=[("", "— non renseigné —"), *AnahConvention.choices],
        required=False,
    )
    energy_class = forms.ChoiceField(
        label="Classe énergétique (DPE)",
        choices=[("", "— non renseignée —"), *EnergyClass.choices],
        required=False,
    )
    rent = forms.DecimalField(
        label="Loyer mensuel",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    charges = forms.DecimalField(
        label="Charges mensuelles",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial=0,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    deposit = forms.DecimalField(
        label="Dépôt de garantie",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )
    guarantee = forms.ChoiceField(
        label="Garantie",
        choices=[("", "— aucune —"), *LeaseGuarantee.choices],
        required=False,
    )
    guarantee_reference = forms.CharField(
        label="Référence de la garantie", max_length=100, required=False
    )
    scoped_querysets = {"dispositif": _dispositifs}
