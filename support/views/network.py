"""Screens of the support network: the partners directory, referrals of a household to a
partner, collective workshops.

The directory is not confidential: régisseurs read the list and a partner's contact card
(SUPPORT_VIEWERS). Referrals and workshops (who was referred where, who took part) are support
information: social workers and heads only (SUPPORT_MANAGERS). Objects are loaded through the
organisation-scoped managers by public identifier: another organisation's gets a 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from iml.forms import submit_form
from iml.permissions import SUPPORT_MANAGERS, SUPPORT_VIEWERS, has_role, member_required
from support import network
from support.forms.network import (
    PartnerFilterForm,
    PartnerForm,
    ReferralForm,
    ReferralOutcomeForm,
    WorkshopForm,
)
from support.models import Partner, Referral, ReferralOutcome, Workshop

PAGE_SIZE = 25
FORM_PAGE = "iml/form_page.html"


# --- Partners -------------------------------------------------------------------------------


@member_required(SUPPORT_VIEWERS)
def partner_list(request: HttpRequest) -> HttpResponse:
    searched = any(request.GET.get(name) for name in PartnerFilterForm.base_fields)
    filters = PartnerFilterForm(request.GET if searched else None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    partners = network.partners_for_list(kind=criteria.get("kind", ""), text=criteria.get("q", ""))
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "support/partner_list.html",
        {
            "filter": filters,
            "page": page,
            "can_manage": has_role(request.membership, SUPPORT_MANAGERS),
        },
    )


@member_required(SUPPORT_VIEWERS)
def partner_detail(request: HttpRequest, partner: str) -> HttpResponse:
    obj = get_object_or_404(Partner, public_id=partner)
    can_manage = has_role(request.membership, SUPPORT_MANAGERS)
    page = None
    if can_manage:  # who was referred to this partner is support information
        page = Paginator(network.partner_referrals(obj), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "support/partner_detail.html",
        {"partner": obj, "page": page, "can_manage": can_manage},
    )


@member_required(SUPPORT_MANAGERS)
def partner_create(request: HttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: network.partner_create(**form.service_data()),
        success=lambda partner: f"Partenaire ajouté à l’annuaire : {partner.name}.",
        redirect_to=lambda partner: reverse("support:partner_detail", args=[partner.public_id]),
        template=FORM_PAGE,
        context={
            "title": "Nouveau partenaire",
            "intro": "L’annuaire est partagé par toute l’équipe, régisseurs compris : n’y "
            "notez rien sur les ménages.",
            "cancel_url": reverse("support:partner_list"),
        },
    )


@member_required(SUPPORT_MANAGERS)
def partner_edit(request: HttpRequest, partner: str) -> HttpResponse:
    obj = get_object_or_404(Partner, public_id=partner)
    detail_url = reverse("support:partner_detail", args=[obj.public_id])
    name = obj.name
    form = PartnerForm(request.POST or None, instance=obj)
    return submit_form(
        request,
        form,
        lambda data: network.partner_update(partner=obj, **form.service_data()),
        success=lambda updated: f"Partenaire mis à jour : {updated.name}.",
        redirect_to=detail_url,
        template=FORM_PAGE,
        context={
            "title": f"Modifier {name}",
            "intro": "L’annuaire est partagé par toute l’équipe, régisseurs compris : n’y "
            "notez rien sur les ménages.",
            "cancel_url": detail_url,
        },
    )


# --- Referrals ------------------------------------------------------------------------------


@member_required(SUPPORT_MANAGERS)
def referral_create(request: HttpRequest, household: str) -> HttpResponse:
    obj = get_object_or_404(Household, public_id=household)
    form = ReferralForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: network.referral_create(household=obj, by=request.user, **data),
        success=lambda referral: (
            f"Orientation vers {referral.partner.name} enregistrée pour le ménage {obj.reference}."
        ),
        redirect_to=obj.get_absolute_url(),
        template="support/referral_form.html",
        context={
            "title": f"Orienter le ménage {obj.reference} vers un partenaire",
            "household": obj,
            "has_partners": network.partner_choices().exists(),
            "cancel_url": obj.get_absolute_url(),
        },
    )


@member_required(SUPPORT_MANAGERS)
def referral_outcome(request: HttpRequest, referral: str) -> HttpResponse:
    obj = get_object_or_404(
        Referral.objects.select_related("household", "partner"), public_id=referral
    )
    form = ReferralOutcomeForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: network.referral_close(referral=obj, by=request.user, **data),
        success=lambda closed: (
            f"Suite enregistrée : orientation vers {obj.partner.name} "
            f"{closed.get_outcome_display()}."
        ),
        redirect_to=obj.household.get_absolute_url(),
        template="support/referral_outcome.html",
        context={
            "title": f"Suite de l’orientation vers {obj.partner.name}",
            "referral": obj,
            "closed": obj.outcome != ReferralOutcome.EN_ATTENTE,
            "cancel_url": obj.household.get_absolute_url(),
        },
    )


# --- Workshops ------------------------------------------------------------------------------


@member_required(SUPPORT_MANAGERS)
def workshop_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(network.workshops_for_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/workshop_list.html", {"page": page})


@member_required(SUPPORT_MANAGERS)
def workshop_detail(request: HttpRequest, workshop: str) -> HttpResponse:
    obj = get_object_or_404(Workshop, public_id=workshop)
    groups = network.workshop_participants_by_household(obj)
    return render(
        request,
        "support/workshop_detail.html",
        {
            "workshop": obj,
            "facilitators": obj.facilitators.order_by("last_name", "first_name"),
            "groups": groups,
            "participant_count": sum(len(persons) for _, persons in groups),
        },
    )


@member_required(SUPPORT_MANAGERS)
def workshop_create(request: HttpRequest) -> HttpResponse:
    return _workshop_form(request, None)


@member_required(SUPPORT_MANAGERS)
def workshop_edit(request: HttpRequest, workshop: str) -> HttpResponse:
    return _workshop_form(request, get_object_or_404(Workshop, public_id=workshop))


def _workshop_form(request: HttpRequest, workshop: Workshop | None) -> HttpResponse:
    if workshop is None:
        initial = {"date": timezone.localdate(), "facilitators": [request.user.pk]}
        cancel_url = reverse("support:workshop_list")
    else:
        initial = {
            "date": workshop.date,
            "title": workshop.title,
            "theme": workshop.theme,
            "description": workshop.description,
            "facilitators": list(workshop.facilitators.all()),
            "participants": list(workshop.participants.all()),
        }
        cancel_url = reverse("support:workshop_detail", args=[workshop.public_id])
    if request.method == "POST" and "refresh" in request.POST:
        # Another date: show the persons present then, keeping what was typed, unvalidated.
        form = WorkshopForm(
            initial=WorkshopForm.initial_from(request.POST),
            workshop=workshop,
            refresh_url=request.path,
        )
    else:
        form = WorkshopForm(
            request.POST or None, initial=initial, workshop=workshop, refresh_url=request.path
        )
    return submit_form(
        request,
        form,
        lambda data: network.workshop_save(workshop=workshop, by=request.user, **data),
        success=lambda saved: f"Atelier enregistré : {saved.title}.",
        redirect_to=lambda saved: reverse("support:workshop_detail", args=[saved.public_id]),
        template="support/workshop_form.html",
        context={
            "title": "Nouvel atelier collectif"
            if workshop is None
            else f"Modifier l’atelier {workshop.title}",
            "workshop": workshop,
            "cancel_url": cancel_url,
        },
    )
