"""The form that adds a paper: from a phone, a photo taken there or files chosen."""

from __future__ import annotations

from django import forms

from households.models import Household
from housing.models import HousingUnit
from iml.codes import PaperKind
from iml.models import Membership
from iml.submissions import OnceForm, OnceMixin
from papers.access import audiences, kinds_for
from papers.files import MAX_FILES
from papers.kinds import HOME_KINDS
from papers.models import PaperType

ACCEPT = "image/*,application/pdf,.heic,.heif"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once (the pages of a scan); each is checked from its content by the
    service (``papers.files``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True, "accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Au plus {MAX_FILES} fichiers par pièce.")
        return files


class PaperForm(OnceForm):
    kind = forms.ChoiceField(label="Type de pièce")
    person = forms.ModelChoiceField(
        label="Personne concernée", queryset=None, required=False,
        empty_label="le ménage entier",
    )  # fmt: skip
    contract = forms.ModelChoiceField(
        label="Contrat de sous-location", queryset=None, required=False, empty_label="—",
    )  # fmt: skip
    support_contract = forms.ModelChoiceField(
        label="Contrat d’accompagnement", queryset=None, required=False, empty_label="—",
    )  # fmt: skip
    lease = forms.ModelChoiceField(
        label="Bail principal", queryset=None, required=False, empty_label="—",
    )  # fmt: skip
    issued_on = forms.DateField(
        label="Date du document", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Date de délivrance ou de signature.",
    )  # fmt: skip
    valid_until = forms.DateField(
        label="Valable jusqu’au", required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Pour un titre de séjour, un récépissé, une attestation… : une alerte "
        "préviendra avant l’échéance.",
    )  # fmt: skip
    energy_class = forms.ChoiceField(
        label="Classe du DPE", required=False,
        choices=[("", "—"), *[(c, c) for c in "ABCDEFG"]],
    )  # fmt: skip
    note = forms.CharField(label="Note", required=False, max_length=300)
    photo = MultipleFileField(
        label="Prendre en photo", required=False,
        widget=MultipleFileInput(attrs={"multiple": True, "accept": "image/*",
                                        "capture": "environment"}),
        help_text="Une photo par page ; l’appareil photo s’ouvre sur un téléphone.",
    )  # fmt: skip
    files = MultipleFileField(
        label="Ou choisir des fichiers", required=False,
        help_text="Photos (JPEG, PNG, HEIC) ou PDF, 15 Mo au plus chacun ; plusieurs à la fois.",
    )  # fmt: skip

    def __init__(self, *args, membership: Membership, household: Household | None = None,
                 unit: HousingUnit | None = None, **kwargs) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        if household is not None:  # the household's papers its reader may read
            allowed = set(kinds_for(membership))
            kinds = [k for k in PaperKind if k in allowed]
            custom = PaperType.objects.filter(audience__in=list(audiences(membership)))
        else:  # a home's papers are housing papers, whatever their kind
            kinds = [k for k in PaperKind if k in HOME_KINDS]
            custom = PaperType.objects.all()
        self.custom_types = {f"type-{t.public_id}": t for t in custom}
        self.fields["kind"].choices = [
            ("", "Choisissez"),
            *[(k.value, k.label) for k in kinds if k != PaperKind.AUTRE],
            *[(key, t.label) for key, t in self.custom_types.items()],
            *([(PaperKind.AUTRE.value, PaperKind.AUTRE.label)] if PaperKind.AUTRE in kinds else []),
        ]
        # What the paper may be about, beyond its owner (a field with no choice is left out).
        choices = {
            "person": household.persons.order_by("pk") if household else None,
            "contract": household.contracts.filter(cancelled_at__isnull=True).order_by(
                "-start_date") if household else None,
            "support_contract": household.support_contracts.order_by("-signed_on")
            if household else None,
            "lease": unit.leases.order_by("-start_date") if unit else None,
        }  # fmt: skip
        for name, queryset in choices.items():
            if queryset is None or not queryset.exists():
                del self.fields[name]
            else:
                self.fields[name].queryset = queryset
        if household is not None:
            del self.fields["energy_class"]

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["uploads"] = [*cleaned.pop("photo", []), *cleaned.pop("files", [])]
        if not cleaned["uploads"] and not self.errors:
            self.add_error("files", "Ajoutez au moins un fichier (photo ou PDF).")
        kind = cleaned.get("kind", "")
        cleaned["custom_type"] = self.custom_types.get(kind)
        if cleaned["custom_type"] is not None:
            cleaned["kind"] = PaperKind.AUTRE.value
        if cleaned.get("energy_class") and cleaned.get("kind") != PaperKind.DPE:
            self.add_error("energy_class", "La classe ne concerne qu’un DPE.")
        return cleaned


class PaperTypeForm(OnceMixin, forms.ModelForm):
    class Meta:
        model = PaperType
        fields = ["label", "audience", "watched"]
