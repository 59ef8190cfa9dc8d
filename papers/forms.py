"""The form that adds a paper: from a phone, a photo taken there or files chosen."""

from __future__ import annotations

from django import forms

from households.models import Household
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
                 **kwargs) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        allowed = set(kinds_for(membership))
        kinds = [k for k in PaperKind if k in allowed and (household or k in HOME_KINDS)]
        custom = PaperType.objects.filter(audience__in=list(audiences(membership)))
        self.custom_types = {f"type-{t.public_id}": t for t in custom}
        self.fields["kind"].choices = [
            ("", "Choisissez"),
            *[(k.value, k.label) for k in kinds if k != PaperKind.AUTRE],
            *[(key, t.label) for key, t in self.custom_types.items()],
            *([(PaperKind.AUTRE.value, PaperKind.AUTRE.label)] if PaperKind.AUTRE in kinds else []),
        ]
        if household is not None:
            self.fields["person"].queryset = household.persons.order_by("pk")
        else:
            del self.fields["person"]

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
