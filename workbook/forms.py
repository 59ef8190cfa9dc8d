from __future__ import annotations

from django import forms

from workbook.jobs import MAX_UPLOAD

ACCEPTED = (".xlsx", ".zip", ".csv")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Classeur à importer",
        help_text="Un classeur .xlsx, une archive .zip de fichiers .csv, ou un fichier "
        "<feuille>.csv (100 Mo au plus).",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(ACCEPTED):
            raise forms.ValidationError(
                "Envoyez un classeur .xlsx, une archive .zip de fichiers .csv ou un fichier .csv."
            )
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("Fichier trop volumineux (100 Mo au plus).")
        if upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        return upload
