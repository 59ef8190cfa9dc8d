from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from iml.models import Dispositif, Role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Adresse e-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": "Adresse e-mail ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé.",
    }


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail")
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


class DispositifForm(forms.ModelForm):
    class Meta:
        model = Dispositif
        fields = [
            "code",
            "name",
            "category",
            "zone",
            "funder",
            "places",
            "report_start_month",
            "age_brackets",
            "is_active",
        ]
        widgets = {
            "report_start_month": forms.Select(
                choices=[
                    (1, "janvier"), (2, "février"), (3, "mars"), (4, "avril"), (5, "mai"),
                    (6, "juin"), (7, "juillet"), (8, "août"), (9, "septembre"),
                    (10, "octobre"), (11, "novembre"), (12, "décembre"),
                ]
            ),
        }  # fmt: skip


class OrganisationSwitchForm(forms.Form):
    organisation = forms.UUIDField()


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
