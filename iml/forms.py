from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from iml.models import Dispositif, Role, normalize_email
from iml.submissions import REPLAYED, run_once


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Adresse e-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": "Adresse e-mail ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self) -> str:
        # Authenticated, and counted by the lockout, under the one spelling of the address.
        return normalize_email(self.cleaned_data["username"])


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """What django-axes counts failed logins on (``AXES_USERNAME_CALLABLE``): the normalised
    e-mail. Counted as typed, each spelling of a locked address (``TS@``, `` ts@``…) had
    five more guesses, and the right password with any of them logged in."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        typed = credentials.get(field)
    else:
        typed = getattr(request, "data", request.POST).get(field)
    return None if typed is None else normalize_email(typed)


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Si la personne a déjà un compte, elle devra accepter l’invitation : d’ici "
        "là, l’équipe ne voit que cette adresse.",
    )
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


# What the daily alert job watches, tuned per dispositif (alerts.job).
ALERT_FIELDS = [
    "alert_warning_days",
    "alert_signature_days",
    "alert_debt_months",
    "alert_unpaid_calls",
    "alert_instalment_grace_days",
    "alert_no_contact_weeks",
]


class DispositifAlertsForm(forms.ModelForm):
    """The alert thresholds alone: the head of service tunes what the daily job watches."""

    class Meta:
        model = Dispositif
        fields = ALERT_FIELDS
        localized_fields = ["alert_debt_months"]  # "1,5" as French users type it


class DispositifForm(forms.ModelForm):
    """The alert thresholds may be left empty: the current value (the default for a new
    dispositif) is kept."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ALERT_FIELDS:
            field = self.fields[name]
            field.required = False
            field.help_text = "Laissez vide pour garder la valeur actuelle."

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ALERT_FIELDS:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

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
            *ALERT_FIELDS,
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


def submit_form(
    request: HttpRequest,
    form: forms.BaseForm,
    action: Callable[[dict], Any],
    success: str | Callable[[Any], str],
    redirect_to: str | Callable[[Any], str],
    template: str,
    context: dict,
) -> HttpResponse:
    """The flow of every form page: validate, call the service, redirect with a message;
    a service's refusal shows on the form, which keeps what was typed.

    ``success`` and ``redirect_to`` may be functions of what the service returned.
    """
    if request.method == "POST" and form.is_valid():
        url_of = redirect_to if callable(redirect_to) else (lambda _result: redirect_to)
        try:
            # An ``OnceForm`` carries its key: a second post of it is not acted on again.
            outcome = run_once(
                key=form.cleaned_data.pop("submission_key", None),
                action=lambda: action(form.cleaned_data),
                url_of=url_of,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.replayed:
                messages.info(request, REPLAYED)
            else:
                result = outcome.result
                messages.success(request, success(result) if callable(success) else success)
            return redirect(outcome.url)
    return render(request, template, {"form": form, **context})
