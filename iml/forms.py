from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from iml.codes import PaperKind
from iml.models import Dispositif, Organisation, Role, normalize_email
from iml.submissions import REPLAYED, run_once

# --- Widgets and helpers shared by the apps' forms --------------------------------------------


class DateInput(forms.DateInput):
    """The browser's date picker; its value is always ISO (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


MONEY_ATTRS = {"step": "0.01", "min": "0", "inputmode": "decimal"}


def unscoped_none(model) -> QuerySet:
    """A placeholder queryset: the scoped one is built per request, in ``__init__``."""
    return model.all_organisations.none()


class ScopedChoicesMixin:
    """Choices among the current organisation's rows, evaluated per form instance.

    The default manager of organisation models needs a current organisation, which exists
    only while a request (or task) runs, never when the form class is defined.
    """

    scoped_querysets: dict[str, Callable[[forms.BaseForm], QuerySet]] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, make_queryset in self.scoped_querysets.items():
            self.fields[name].queryset = make_queryset(self)


# --- The core app's forms: login, team, dispositifs, security ---------------------------------


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
    "alert_paper_days",
]


class DispositifAlertsForm(forms.ModelForm):
    """The alert thresholds alone: the head of service tunes what the daily job watches."""

    # Added after the others: left out of a post (a form opened before), it keeps its value.
    OPTIONAL = ("alert_paper_days",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.OPTIONAL:
            self.fields[name].required = False

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in self.OPTIONAL:
            if cleaned.get(name) is None:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    class Meta:
        model = Dispositif
        fields = ALERT_FIELDS
        localized_fields = ["alert_debt_months"]  # "1,5" as French users type it


class DispositifForm(forms.ModelForm):
    """The alert thresholds may be left empty: the current value (the default for a new
    dispositif) is kept."""

    required_papers = forms.MultipleChoiceField(
        label="Pièces demandées à chaque ménage",
        choices=PaperKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Le panneau « Pièces » de chaque ménage signale celles qui manquent.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ALERT_FIELDS:
            field = self.fields[name]
            field.required = False
            # A new dispositif has no « current value »: it takes the usual default.
            field.help_text = (
                "Laissez vide pour garder la valeur actuelle."
                if self.instance.pk
                else f"Laissez vide pour la valeur habituelle ({self._default(name)})."
            )

    def _default(self, name: str) -> str:
        value = Dispositif._meta.get_field(name).get_default()
        return str(value).replace(".", ",")

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
            "ddets",
            "places",
            "report_start_month",
            "age_brackets",
            "is_active",
            "required_papers",
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


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code à 6 chiffres (ou code de secours)",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class AlertDigestForm(forms.Form):
    alert_digest = forms.BooleanField(
        label="Recevoir chaque matin le récapitulatif des nouvelles alertes",
        required=False,
        help_text="Un e-mail vers 6 h 15, seulement s’il y a de nouvelles alertes pour vous.",
    )


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["require_two_factor", "retention_identity_years", "retention_ledger_years"]


# --- The flow of every form page --------------------------------------------------------------


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
