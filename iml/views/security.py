"""The user's security: second factor, recovery codes, sessions; the organisation's rule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from iml import twofactor
from iml.forms import AlertDigestForm, OrganisationSettingsForm, TokenForm
from iml.models import Role
from iml.permissions import has_inbox, member_required


def _next(request: HttpRequest) -> str:
    """Where to go after the second factor: a path of this site, else the dashboard (a bare
    word would be taken for a URL name by ``redirect``)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return "/"


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_next(request))
    if not user_has_device(request.user, confirmed=True):
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, form.cleaned_data["token"]):
            return redirect(_next(request))
        form.add_error("token", "Code incorrect ou expiré. Réessayez avec le code affiché.")
    return render(request, "iml/two_factor_verify.html", {"form": form, "next": _next(request)})


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return redirect("two_factor_verify")
    device = twofactor.pending_totp_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_totp(
            request=request, device=device, token=form.cleaned_data["token"]
        )
        if codes is not None:
            return render(
                request,
                "iml/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first_time": True},
            )
        form.add_error("token", "Code incorrect : vérifiez l’heure du téléphone et réessayez.")
    return render(
        request,
        "iml/two_factor_setup.html",
        {
            "form": form,
            "qr_code": twofactor.qr_code_svg_data_uri(device),
            "secret": _group(device.config_url.split("secret=")[1].split("&")[0]),
            "required": twofactor.two_factor_required(request),
            "next": _next(request),
        },
    )


def _group(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@member_required(agents=True)
def security(request: HttpRequest) -> HttpResponse:
    """The account page; it posts to itself the alert digest preference (offered to whoever
    has an alert inbox in one of their organisations)."""
    digest_form = None
    if any(has_inbox(membership) for membership in request.memberships):
        digest_form = AlertDigestForm(
            request.POST if request.method == "POST" else None,
            initial={"alert_digest": request.user.alert_digest},
        )
        if digest_form.is_bound and digest_form.is_valid():
            request.user.alert_digest = digest_form.cleaned_data["alert_digest"]
            request.user.save(update_fields=["alert_digest"])
            messages.success(
                request,
                "Vous recevrez chaque matin le récapitulatif des nouvelles alertes."
                if request.user.alert_digest
                else "Vous ne recevrez plus le récapitulatif des alertes par e-mail.",
            )
            return redirect("security")
    elif request.method == "POST":
        return redirect("security")
    return render(
        request,
        "iml/security.html",
        {
            "has_device": user_has_device(request.user, confirmed=True),
            "required": twofactor.two_factor_required(request),
            "digest_form": digest_form,
        },
    )


@require_POST
@member_required(agents=True)
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    codes = twofactor.new_recovery_codes(request.user)
    return render(request, "iml/recovery_codes.html", {"codes": codes, "next": "/"})


@require_POST
@member_required(agents=True)
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if twofactor.two_factor_required(request):
        messages.error(request, "La double authentification est obligatoire pour votre rôle.")
    else:
        twofactor.disable(request.user)
        messages.success(request, "Double authentification désactivée.")
    return redirect("security")


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    twofactor.logout_everywhere(request)
    messages.success(request, "Toutes vos sessions sont fermées, celle-ci comprise.")
    return redirect("login")


@member_required((Role.ADMIN,))
def organisation_settings(request: HttpRequest) -> HttpResponse:
    form = OrganisationSettingsForm(request.POST or None, instance=request.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Paramètres de l’organisation enregistrés.")
        return redirect("organisation_settings")
    return render(request, "iml/organisation_settings.html", {"form": form})
