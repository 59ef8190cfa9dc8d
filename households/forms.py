from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django_countries import countries

from households.models import Household
from households.services import PersonData
from iml.codes import (
    Employment,
    ExitDestination,
    ExitSupport,
    PersonRole,
    PriorSituation,
    ProtectionStatus,
    Resource,
    Sex,
    WithdrawalReason,
)
from iml.forms import DateInput
from iml.models import Dispositif, Membership, Role, User
from iml.submissions import OnceMixin


def date_field(label: str, *, required: bool = True, today: bool = False, **kwargs):
    field = forms.DateField(label=label, required=required, widget=DateInput(), **kwargs)
    if today:
        field.initial = timezone.localdate
    return field


def referent_choices() -> forms.ModelChoiceField:
    """Social workers and heads of the current organisation (scoped manager)."""
    users = User.objects.filter(
        memberships__in=Membership.objects.active().filter(role__in=[Role.SOCIAL_WORKER, Role.HEAD])
    ).order_by("last_name", "first_name")
    return forms.ModelChoiceField(
        queryset=users, required=False, label="Travailleur·se social·e référent·e"
    )


class PersonFields(forms.Form):
    """Identity of a person; ``person_data()`` hands it to the services."""

    last_name = forms.CharField(label="Nom", max_length=150)
    first_name = forms.CharField(label="Prénom", max_length=150)
    sex = forms.ChoiceField(label="Sexe", choices=Sex.choices)
    birth_date = date_field("Date de naissance")
    # Evaluated at each rendering: country names in the active language (French).
    nationality = forms.ChoiceField(
        label="Nationalité", choices=lambda: [("", "—"), *countries], required=False
    )
    protection_status = forms.ChoiceField(
        label="Statut", choices=[("", "—"), *ProtectionStatus.choices], required=False
    )

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date > timezone.localdate():
            raise forms.ValidationError("La date de naissance ne peut pas être dans le futur.")
        if birth_date.year < 1900:
            raise forms.ValidationError("Date de naissance invraisemblable.")
        return birth_date

    @staticmethod
    def initial_from(person) -> dict:
        names = ("last_name", "first_name", "sex", "birth_date", "role", "protection_status")
        return {
            **{name: getattr(person, name) for name in names},
            "nationality": person.nationality.code or "",
        }

    def person_data(self, role: str | None = None) -> PersonData:
        data = self.cleaned_data
        return PersonData(
            last_name=data["last_name"],
            first_name=data["first_name"],
            sex=data["sex"],
            birth_date=data["birth_date"],
            role=role or data["role"],
            nationality=data["nationality"] or "",
            protection_status=data["protection_status"] or "",
        )


class HouseholdFields(forms.Form):
    dispositif = forms.ModelChoiceField(
        queryset=Dispositif.all_organisations.none(), label="Dispositif"
    )
    reference = forms.CharField(label="Référence du ménage", max_length=50)
    siao_reference = forms.CharField(label="Référence SI-SIAO", max_length=50, required=False)
    orientation_date = date_field("Date d’orientation SIAO", today=True)
    orienting_structure = forms.CharField(
        label="Structure orienteuse",
        max_length=200,
        required=False,
        help_text="Par exemple « CADA Le Pont Chalon-sur-Saône ».",
    )
    prior_situation = forms.ChoiceField(
        label="Situation avant l’entrée",
        choices=[("", "—"), *PriorSituation.choices],
        required=False,
    )
    reinforced_support = forms.BooleanField(label="Accompagnement renforcé", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Dispositif.objects.filter(is_active=True)
        self.fields["dispositif"].queryset = active
        if not self.is_bound and "dispositif" not in self.initial:
            # The only dispositif of the organisation needs no choosing.
            only = list(active[:2])
            if len(only) == 1:
                self.initial["dispositif"] = only[0].pk
        self.fields["referent"] = referent_choices()

    NAMES = (
        "dispositif",
        "reference",
        "siao_reference",
        "orientation_date",
        "orienting_structure",
        "prior_situation",
        "reinforced_support",
        "referent",
    )

    @classmethod
    def initial_from(cls, household: Household) -> dict:
        return {name: getattr(household, name) for name in cls.NAMES}

    def household_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.NAMES}


class HouseholdOrientForm(OnceMixin, HouseholdFields, PersonFields):
    """Orientation: the household and its reference person (others are added after)."""

    field_order = [
        "dispositif",
        "reference",
        "siao_reference",
        "orientation_date",
        "orienting_structure",
        "prior_situation",
        "reinforced_support",
        "referent",
        "last_name",
        "first_name",
        "sex",
        "birth_date",
        "nationality",
        "protection_status",
    ]


class HouseholdEditForm(HouseholdFields):
    # What the CAF's detail of its bulk payment names the household by (``banking.caf``).
    caf_number = forms.RegexField(
        label="N° d’allocataire CAF", regex=r"^[0-9]{5,15}$", required=False,
        error_messages={"invalid": "Le n° d’allocataire CAF compte de 5 à 15 chiffres."},
        help_text="Tel qu’il figure sur l’attestation de la CAF.",
    )  # fmt: skip

    NAMES = (*HouseholdFields.NAMES, "caf_number")


class WithdrawForm(forms.Form):
    withdrawal_date = date_field("Date du retrait", today=True)
    reason = forms.ChoiceField(label="Motif", choices=WithdrawalReason.choices)


def money(label: str, *, required: bool = True, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=0, max_digits=12, decimal_places=2,
        localize=True, **kwargs,
    )  # fmt: skip


class AdmitForm(forms.Form):
    """Entry into a free space, with the sublease contract's terms (created with it)."""

    entry_date = date_field("Date d’entrée", today=True)
    space = forms.ChoiceField(label="Logement ou chambre")
    rent = money("Loyer mensuel (€)")
    charges = money("Charges mensuelles (€)", initial=0)
    deposit = money("Dépôt de garantie (€)", initial=0)
    expected_housing_benefit = money("Aide au logement attendue de la CAF (€ par mois)", initial=0)
    towards_sliding_lease = forms.BooleanField(
        label="Sous-location en vue d’un bail glissant", required=False
    )
    energy_confirmed = forms.BooleanField(
        label="Je confirme la sous-location malgré le classement énergétique (DPE) du logement",
        required=False,
        help_text="Demandé seulement pour un logement que la loi Climat et résilience interdit "
        "de louer (classe G depuis 2025, F en 2028, E en 2034).",
    )

    def __init__(self, *args, spaces, terms=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "—"), *((s.key, s.label) for s in spaces)]
        # Each space's likely amounts ride on its option; static/js/admit.js fills them in.
        self.fields["space"].widget = SpaceSelect(terms=terms or {})
        self.fields["space"].widget.choices = self.fields["space"].choices


class SpaceSelect(forms.Select):
    """A select of spaces whose options carry the amounts to pre-fill (``data-rent``…)."""

    def __init__(self, *args, terms, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms
        self.attrs["data-prefill"] = "rent charges expected_housing_benefit"

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        terms = self.terms.get(value)
        if terms is not None:
            option["attrs"].update({
                "data-rent": f"{terms.rent:.2f}".replace(".", ","),
                "data-charges": f"{terms.charges:.2f}".replace(".", ","),
                "data-expected_housing_benefit":
                    f"{terms.expected_housing_benefit:.2f}".replace(".", ","),
            })  # fmt: skip
        return option


UNKNOWN_DESTINATION = "ne_sait_pas"


class ExitForm(forms.Form):
    exit_date = date_field(
        "Date de sortie",
        today=True,
        help_text="Premier jour hors du dispositif. Une date future enregistre une sortie "
        "prévue : elle se confirme le jour venu, avec la destination.",
    )
    # No default: an exit whose destination nobody chose would be reported to the DDETS as
    # the first of the list. « Ne sait pas » is a choice, counted under « inconnu ».
    destination = forms.ChoiceField(
        label="Destination",
        choices=[("", "— Choisissez la destination —"), *ExitDestination.choices,
                 (UNKNOWN_DESTINATION, "ne sait pas (comptée « inconnue » dans le rapport)")],
        error_messages={"required": "Choisissez la destination du ménage, ou « ne sait pas »."},
    )  # fmt: skip
    bail_glissant = forms.BooleanField(
        label="Sortie par bail glissant (le ménage reste dans le logement)", required=False
    )
    exit_support = forms.MultipleChoiceField(
        label="Accompagnement après la sortie",
        choices=ExitSupport.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_destination(self) -> str:
        """The stored destination: empty when unknown."""
        value = self.cleaned_data["destination"]
        return "" if value == UNKNOWN_DESTINATION else value

    def clean(self) -> dict:
        """A date after today plans the exit: the destination is chosen on the day."""
        data = super().clean()
        exit_date = data.get("exit_date")
        data["planned"] = exit_date is not None and exit_date > timezone.localdate()
        if data["planned"]:
            self._errors.pop("destination", None)
            data["destination"] = ""
        return data


class CancelForm(forms.Form):
    """Why a state change recorded by mistake is undone (kept in the household's history)."""

    reason = forms.CharField(
        label="Pourquoi annuler ?",
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Par exemple : saisie sur le mauvais ménage. La raison est gardée dans "
        "l’historique du ménage.",
        error_messages={"required": "Indiquez pourquoi vous annulez : la raison est gardée."},
    )


class PersonForm(OnceMixin, PersonFields):
    role = forms.ChoiceField(label="Rôle dans le ménage", choices=PersonRole.choices)
    joined_date = date_field(
        "Date d’arrivée",
        required=False,
        help_text="Pour une naissance ou une arrivée pendant le séjour.",
    )
    field_order = ["last_name", "first_name", "sex", "birth_date", "role"]

    def __init__(self, *args, household: Household, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing or household.entry_date is None:
            # Dates change through arrivals and departures, never by editing identity.
            del self.fields["joined_date"]


class PersonLeaveForm(forms.Form):
    left_date = date_field("Date de départ", today=True, help_text="Premier jour d’absence.")


class ResourceForm(OnceMixin, forms.Form):
    date = date_field("À partir du", today=True)
    resources = forms.MultipleChoiceField(
        label="Ressources du ménage", choices=Resource.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One optional monthly amount per resource that has one (« sans ressources » has none).
        for code, label in Resource.choices:
            if code != Resource.AUCUNE:
                self.fields[f"amount_{code}"] = money(
                    f"{label} — montant mensuel (€)", required=False
                )

    @property
    def amount_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("amount_")]

    def monthly_amounts(self) -> dict:
        return {
            name.removeprefix("amount_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("amount_") and value is not None
        }

    @classmethod
    def initial_from(cls, record) -> dict:
        """The current resources and their amounts: the form starts from what is known."""
        if record is None:
            return {}
        return {
            "resources": record.resources,
            **{f"amount_{code}": Decimal(value) for code, value in record.monthly_amounts.items()},
        }


class EmploymentForm(OnceMixin, forms.Form):
    date = date_field("À partir du", today=True)
    employment = forms.ChoiceField(label="Situation", choices=Employment.choices)
