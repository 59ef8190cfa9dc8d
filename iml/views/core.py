"""Core views: dashboard, organisation switch, team and dispositifs of the organisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from iml import selectors, services
from iml.access_log import access_log
from iml.filters import AccessLogFilter
from iml.forms import (
    DispositifAlertsForm,
    DispositifForm,
    MemberInviteForm,
    MemberRoleForm,
    OrganisationSwitchForm,
    add_service_error,
)
from iml.fragments import deferred
from iml.middleware import SESSION_KEY
from iml.models import (
    Dispositif,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    normalize_email,
)
from iml.permissions import EVERY_ROLE, MANAGERS, member_required
from iml.scoping import organisation_context
from iml.twofactor import needs_verification

PAGE_SIZE = 25
ADMIN_ONLY = (Role.ADMIN,)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the load balancer / docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@member_required(EVERY_ROLE)
def dashboard(request: HttpRequest) -> HttpResponse:
    # Read only when the dashboard's block is not in the cache (``iml.fragments``).
    counts = deferred(selectors.dashboard_counts, membership=request.membership)
    panels = deferred(selectors.dashboard_panels, membership=request.membership)
    return render(request, "iml/dashboard.html", {"counts": counts, "panels": panels})


@require_POST
@login_required
def organisation_switch(request: HttpRequest) -> HttpResponse:
    form = OrganisationSwitchForm(request.POST)
    chosen = None
    if form.is_valid():
        chosen = next(
            (
                m
                for m in request.memberships
                if m.organisation.public_id == form.cleaned_data["organisation"]
            ),
            None,
        )
    if chosen is None:
        messages.error(request, "Vous ne faites pas partie de cette organisation.")
        return redirect("dashboard")
    request.session[SESSION_KEY] = str(chosen.organisation.public_id)
    # A new organisation, a new session key: nothing of the previous context is reused.
    request.session.cycle_key()
    messages.success(request, f"Vous travaillez maintenant pour {chosen.organisation.name}.")
    return redirect("dashboard")


# --- Team -----------------------------------------------------------------------------------


def _site_root(request: HttpRequest) -> str:
    """This site as the request reached it (scheme, host, port): where e-mailed links point."""
    return request.build_absolute_uri("/").rstrip("/")


@member_required(ADMIN_ONLY)
def member_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.members(), PAGE_SIZE).get_page(request.GET.get("page"))
    # Addresses only: the organisation sees nothing of an account before its owner accepts.
    invitations = Invitation.objects.pending().only(
        "public_id", "email", "role", "sent_at", "organisation_id"
    )
    return render(request, "iml/member_list.html", {"page": page, "invitations": invitations})


@member_required(ADMIN_ONLY)
def member_invite(request: HttpRequest) -> HttpResponse:
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_invite(
                organisation=request.organisation,
                invited_by=request.user,
                base_url=_site_root(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Invitation envoyée à {form.cleaned_data['email']}.")
            return redirect("member_list")
    return render(request, "iml/member_invite.html", {"form": form})


@require_POST
@member_required(ADMIN_ONLY)
def invitation_resend(request: HttpRequest, invitation: str) -> HttpResponse:
    pending = get_object_or_404(Invitation.objects.pending(), public_id=invitation)
    services.invitation_resend(invitation=pending, by=request.user, base_url=_site_root(request))
    messages.success(request, f"Invitation renvoyée à {pending.email}.")
    return redirect("member_list")


@require_POST
@member_required(ADMIN_ONLY)
def invitation_cancel(request: HttpRequest, invitation: str) -> HttpResponse:
    pending = get_object_or_404(Invitation.objects.pending(), public_id=invitation)
    services.invitation_cancel(invitation=pending, by=request.user)
    messages.success(request, f"Invitation de {pending.email} annulée : son lien ne sert plus.")
    return redirect("member_list")


@login_required
def invitation_accept(request: HttpRequest, invitation_token: str) -> HttpResponse:
    """The invited person, logged in with the invited address, accepts or declines.

    Anyone else (another account, an altered, used, cancelled or expired link) gets the same
    404 page, which names nothing of the organisation.
    """
    step = needs_verification(request)
    if step is not None:
        target = "two_factor_verify" if step == "verify" else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
    found = services.invitation_from_token(invitation_token)
    invitation, already_member = None, False
    if found is not None:
        organisation, key = found
        # Read as its organisation, which the person is not a member of (yet).
        with organisation_context(organisation):
            invitation = (
                Invitation.objects.select_related("organisation", "invited_by")
                .filter(key=key, email=normalize_email(request.user.email))
                .first()
            )
            already_member = (
                invitation is not None
                and Membership.objects.active().filter(user=request.user).exists()
            )
    if invitation is None:
        return _invitation_invalid(request)
    if invitation.status == InvitationStatus.ACCEPTED and already_member:
        # Accepted a moment ago (a second click): on to the team it joined.
        return _switch_to(request, invitation.organisation)
    if invitation.status != InvitationStatus.PENDING or invitation.is_expired:
        return _invitation_invalid(request)
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "accepter":
                services.invitation_accept(invitation=invitation, user=request.user)
                messages.success(request, f"Vous avez rejoint {invitation.organisation.name}.")
                return _switch_to(request, invitation.organisation)
            if decision == "refuser":
                services.invitation_decline(invitation=invitation, user=request.user)
                messages.info(request, f"Invitation de {invitation.organisation.name} refusée.")
                return redirect("dashboard")
        except ValidationError:
            return _invitation_invalid(request)
    # Rendered out of the invitation's organisation: the page's menu is the user's own.
    return render(
        request,
        "iml/invitation_accept.html",
        {
            "organisation_name": invitation.organisation.name,
            "inviter": invitation.invited_by,
            "role": invitation.get_role_display(),
            "expires_at": invitation.expires_at,
        },
    )


def _invitation_invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "iml/invitation_invalid.html", status=404)


def _switch_to(request: HttpRequest, organisation) -> HttpResponse:
    """Work for the organisation just joined, as the organisation switch does."""
    request.session[SESSION_KEY] = str(organisation.public_id)
    request.session.cycle_key()
    return redirect("dashboard")


@member_required(ADMIN_ONLY)
def member_edit(request: HttpRequest, membership: str) -> HttpResponse:
    member = get_object_or_404(Membership.objects.select_related("user"), public_id=membership)
    form = MemberRoleForm(request.POST or None, initial={"role": member.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_change_role(
                membership=member, role=form.cleaned_data["role"], by=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Rôle de {member.user} mis à jour.")
            return redirect("member_list")
    return render(request, "iml/member_edit.html", {"form": form, "member": member})


@require_POST
@member_required(ADMIN_ONLY)
def member_deactivate(request: HttpRequest, membership: str) -> HttpResponse:
    member = get_object_or_404(Membership.objects.select_related("user"), public_id=membership)
    try:
        services.member_deactivate(membership=member, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"L’accès de {member.user} est désactivé.")
    return redirect("member_list")


@require_POST
@member_required(ADMIN_ONLY)
def member_reactivate(request: HttpRequest, membership: str) -> HttpResponse:
    member = get_object_or_404(Membership.objects.select_related("user"), public_id=membership)
    services.member_reactivate(membership=member, by=request.user)
    messages.success(request, f"L’accès de {member.user} est rétabli.")
    return redirect("member_list")


# --- Dispositifs ----------------------------------------------------------------------------


@member_required(MANAGERS)
def dispositif_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Dispositif.objects.select_related("ddets").order_by("code"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "iml/dispositif_list.html", {"page": page})


@member_required(ADMIN_ONLY)
def dispositif_create(request: HttpRequest) -> HttpResponse:
    return _dispositif_form(request, Dispositif(organisation=request.organisation))


@member_required(ADMIN_ONLY)
def dispositif_edit(request: HttpRequest, dispositif: str) -> HttpResponse:
    return _dispositif_form(request, get_object_or_404(Dispositif, public_id=dispositif))


@member_required(MANAGERS)
def dispositif_alerts(request: HttpRequest, dispositif: str) -> HttpResponse:
    """The head (or the admin) tunes the alert thresholds of a dispositif."""
    instance = get_object_or_404(Dispositif, public_id=dispositif)
    form = DispositifAlertsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispositif_save(dispositif=form.instance, by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Seuils d’alerte de {instance.name} mis à jour.")
            return redirect("dispositif_list")
    return render(
        request,
        "iml/form_page.html",
        {
            "form": form,
            "title": f"Seuils d’alerte — {instance.name}",
            "intro": "Ce que le contrôle quotidien surveille pour les ménages de ce dispositif.",
            "cancel_url": reverse("dispositif_list"),
        },
    )


def _dispositif_form(request: HttpRequest, instance: Dispositif) -> HttpResponse:
    creating = instance._state.adding
    form = DispositifForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispositif_save(dispositif=form.instance, by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, f"Dispositif {'créé' if creating else 'mis à jour'} : {instance.name}."
            )
            return redirect("dispositif_list")
    return render(request, "iml/dispositif_form.html", {"form": form, "creating": creating})


# --- Access log -----------------------------------------------------------------------------


@member_required(MANAGERS)
def access_log_list(request: HttpRequest) -> HttpResponse:
    """Who opened which household or person, for the head and the admin (kept one year)."""
    filterset = AccessLogFilter(request.GET or None, queryset=access_log(), request=request)
    entries = filterset.qs if filterset.is_bound else access_log()
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "iml/access_log.html", {"filter": filterset, "page": page})
