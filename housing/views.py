"""Screens of the housing stock: thin views over forms, services and selectors.

Régisseurs and heads manage the stock (HOUSING_MANAGERS); social workers read the stock list
and a unit's page (HOUSING_VIEWERS). The free spaces need the contracts: their screen is
tenancy's (``tenancy.views.spaces``). Objects are always loaded through the
organisation-scoped managers by their public identifier: another organisation's gets a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from housing import selectors, services
from housing.filters import StockState, UnitFilter
from housing.forms import (
    LandlordForm,
    MainLeaseForm,
    ProspectCaptureForm,
    ProspectForm,
    ProspectMoveForm,
    RoomForm,
    UnitForm,
    UnitReturnForm,
)
from housing.models import HousingUnit, Landlord, MainLease, Prospect, ProspectStatus, Room
from iml.codes import ManagementMode
from iml.forms import add_service_error, submit_form
from iml.fragments import deferred
from iml.listing import Column, Listing
from iml.permissions import HOUSING_MANAGERS, HOUSING_VIEWERS, member_required
from iml.submissions import REPLAYED, run_once

PAGE_SIZE = 25


FORM_PAGE = "iml/form_page.html"


def _form_page(request: HttpRequest, form: forms.BaseForm, **context) -> HttpResponse:
    return render(request, FORM_PAGE, {"form": form, **context})


# --- Stock ----------------------------------------------------------------------------------


UNIT_COLUMNS = [
    Column("reference", "Référence", lambda u: u.reference, ("reference",)),
    Column("adresse", "Adresse", lambda u: u.full_address, ("city", "address")),
    Column("secteur", "Secteur", lambda u: u.sector, ("sector",)),
    Column("typologie", "Typologie", lambda u: u.get_typology_display(), ("typology",)),
    Column("places", "Places", lambda u: u.places, (F("places"),), numeric=True),
    Column("dispositif", "Dispositif", lambda u: u.dispositif.code, ("dispositif__code",)),
    Column("bailleur", "Bailleur", lambda u: u.landlord.name if u.landlord else "",
           ("landlord__name",)),
    Column("captation", "Captation", lambda u: u.captation_date, (F("captation_date"),)),
    Column("restitution", "Restitution", lambda u: u.return_date, (F("return_date"),)),
]  # fmt: skip


@member_required(HOUSING_VIEWERS)
def unit_list(request: HttpRequest) -> HttpResponse:
    listing = Listing(request, UNIT_COLUMNS, name="parc de logements")

    def filtered() -> tuple[UnitFilter, QuerySet[HousingUnit]]:
        data = request.GET.copy()
        data.setdefault("state", StockState.IN_STOCK)
        data.setdefault("at", timezone.localdate().isoformat())
        unit_filter = UnitFilter(data, queryset=HousingUnit.objects.all())
        return unit_filter, unit_filter.qs

    if (download := listing.export(
        lambda: listing.order(selectors.units_for_list(filtered()[1]))
    )) is not None:  # fmt: skip
        return download

    def listed() -> dict:
        unit_filter, units = filtered()
        page = Paginator(listing.order(selectors.units_for_list(units)), PAGE_SIZE)
        return {
            "filter": unit_filter,
            "page": page.get_page(request.GET.get("page")),
            "totals": selectors.stock_totals(units),
            "at": unit_filter.at,
            "state": unit_filter.state,
        }

    # Built only when the list's block is not in the cache (``iml.fragments``).
    return render(
        request, "housing/unit_list.html", {"listed": deferred(listed), "listing": listing}
    )


@member_required(HOUSING_VIEWERS)
def unit_detail(request: HttpRequest, unit: str) -> HttpResponse:
    housing_unit = get_object_or_404(
        HousingUnit.objects.select_related("dispositif", "landlord"), public_id=unit
    )
    return render(
        request,
        "housing/unit_detail.html",
        {
            "unit": housing_unit,
            "rooms": selectors.unit_rooms(housing_unit),
            "leases": selectors.unit_leases(housing_unit),
            "panels": selectors.unit_panels(housing_unit),
            "today": timezone.localdate(),
        },
    )


@member_required(HOUSING_MANAGERS)
def unit_create(request: HttpRequest) -> HttpResponse:
    form = UnitForm(request.POST or None, instance=HousingUnit(organisation=request.organisation))
    if request.method == "POST" and form.is_valid():
        try:
            outcome = run_once(
                key=form.cleaned_data.get("submission_key"),
                action=lambda: services.unit_create(unit=form.instance),
                url_of=lambda unit: reverse("housing:unit_detail", args=[unit.public_id]),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.replayed:
                messages.info(request, REPLAYED)
            else:
                messages.success(request, f"Logement {outcome.result.reference} ajouté au parc.")
            return redirect(outcome.url)
    return _form_page(
        request,
        form,
        title="Nouveau logement",
        intro="Un logement capté par une prospection se crée plutôt depuis la captation, "
        "avec son bail principal.",
        cancel_url=reverse("housing:unit_list"),
    )


@member_required(HOUSING_MANAGERS)
def unit_edit(request: HttpRequest, unit: str) -> HttpResponse:
    housing_unit = get_object_or_404(HousingUnit, public_id=unit)
    form = UnitForm(request.POST or None, instance=housing_unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(unit=form.instance)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Logement {housing_unit.reference} mis à jour.")
            return redirect("housing:unit_detail", unit=housing_unit.public_id)
    return _form_page(
        request,
        form,
        title=f"Modifier le logement {form.initial.get('reference', '')}",
        cancel_url=reverse("housing:unit_detail", kwargs={"unit": housing_unit.public_id}),
    )


@member_required(HOUSING_MANAGERS)
def unit_return(request: HttpRequest, unit: str) -> HttpResponse:
    housing_unit = get_object_or_404(HousingUnit, public_id=unit)
    detail_url = reverse("housing:unit_detail", kwargs={"unit": housing_unit.public_id})
    if housing_unit.is_returned:
        messages.error(
            request,
            f"Ce logement a déjà été rendu au bailleur le {housing_unit.return_date:%d/%m/%Y}.",
        )
        return redirect(detail_url)
    form = UnitReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_return(
                unit=housing_unit,
                return_date=form.cleaned_data["return_date"],
                reason=form.cleaned_data["return_reason"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"Logement {housing_unit.reference} rendu au bailleur le "
                f"{form.cleaned_data['return_date']:%d/%m/%Y}.",
            )
            return redirect(detail_url)
    return _form_page(
        request,
        form,
        title=f"Rendre le logement {housing_unit.reference} au bailleur",
        intro="Le logement sort du parc à cette date (premier jour hors parc). Le bail "
        "principal en cours se termine le même jour.",
        submit_label="Enregistrer la restitution",
        cancel_url=detail_url,
    )


# --- Rooms ----------------------------------------------------------------------------------


@member_required(HOUSING_MANAGERS)
def room_create(request: HttpRequest, unit: str) -> HttpResponse:
    housing_unit = get_object_or_404(HousingUnit, public_id=unit)
    detail_url = reverse("housing:unit_detail", kwargs={"unit": housing_unit.public_id})
    form = RoomForm(
        request.POST or None,
        instance=Room(organisation=request.organisation, unit=housing_unit),
    )
    return submit_form(
        request,
        form,
        lambda data: services.room_add(room=form.instance),
        success=lambda room: f"{room.label} ajoutée au logement {housing_unit.reference}.",
        redirect_to=detail_url,
        template=FORM_PAGE,
        context={
            "title": f"Nouvelle chambre — logement {housing_unit.reference}",
            "intro": f"Le logement compte {housing_unit.places} place(s) ; ses chambres ne "
            "peuvent pas en compter davantage.",
            "cancel_url": detail_url,
        },
    )


@member_required(HOUSING_MANAGERS)
def room_edit(request: HttpRequest, room: str) -> HttpResponse:
    shared_room = get_object_or_404(Room.objects.select_related("unit"), public_id=room)
    detail_url = reverse("housing:unit_detail", kwargs={"unit": shared_room.unit.public_id})
    form = RoomForm(request.POST or None, instance=shared_room)
    return submit_form(
        request,
        form,
        lambda data: services.room_update(room=form.instance),
        success=f"{shared_room.label} mise à jour.",
        redirect_to=detail_url,
        template=FORM_PAGE,
        context={
            "title": f"Modifier une chambre — logement {shared_room.unit.reference}",
            "cancel_url": detail_url,
        },
    )


# --- Main leases ----------------------------------------------------------------------------


@member_required(HOUSING_MANAGERS)
def lease_create(request: HttpRequest, unit: str) -> HttpResponse:
    housing_unit = get_object_or_404(HousingUnit, public_id=unit)
    detail_url = reverse("housing:unit_detail", kwargs={"unit": housing_unit.public_id})
    form = MainLeaseForm(
        request.POST or None,
        instance=MainLease(organisation=request.organisation, unit=housing_unit),
        initial={
            "landlord": housing_unit.landlord_id,
            "management_mode": housing_unit.management_mode,
            "start_date": housing_unit.captation_date,
            "rent": housing_unit.rent,
            "charges": housing_unit.charges,
        },
    )
    return submit_form(
        request,
        form,
        lambda data: services.main_lease_record(lease=form.instance),
        success=f"Bail principal enregistré pour {housing_unit.reference}.",
        redirect_to=detail_url,
        template=FORM_PAGE,
        context={
            "title": f"Bail principal — logement {housing_unit.reference}",
            "intro": "Bail signé par l’opérateur, ou mandat de gestion. Le plus récent devient "
            "le bailleur, le mode de gestion et le loyer en cours du logement.",
            "cancel_url": detail_url,
        },
    )


@member_required(HOUSING_MANAGERS)
def lease_edit(request: HttpRequest, lease: str) -> HttpResponse:
    main_lease = get_object_or_404(MainLease.objects.select_related("unit"), public_id=lease)
    detail_url = reverse("housing:unit_detail", kwargs={"unit": main_lease.unit.public_id})
    form = MainLeaseForm(request.POST or None, instance=main_lease)
    return submit_form(
        request,
        form,
        lambda data: services.main_lease_update(lease=form.instance),
        success=f"Bail principal de {main_lease.unit.reference} mis à jour.",
        redirect_to=detail_url,
        template=FORM_PAGE,
        context={
            "title": f"Modifier le bail principal — logement {main_lease.unit.reference}",
            "cancel_url": detail_url,
        },
    )


# --- Landlords ------------------------------------------------------------------------------


@member_required(HOUSING_MANAGERS)
def landlord_list(request: HttpRequest) -> HttpResponse:
    landlords = selectors.landlords_for_list(at=timezone.localdate())
    page = Paginator(landlords, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "housing/landlord_list.html", {"page": page})


@member_required(HOUSING_MANAGERS)
def landlord_create(request: HttpRequest) -> HttpResponse:
    return _landlord_form(request, Landlord(organisation=request.organisation))


@member_required(HOUSING_MANAGERS)
def landlord_edit(request: HttpRequest, landlord: str) -> HttpResponse:
    return _landlord_form(request, get_object_or_404(Landlord, public_id=landlord))


def _landlord_form(request: HttpRequest, instance: Landlord) -> HttpResponse:
    creating = instance._state.adding
    form = LandlordForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = run_once(
                key=form.cleaned_data.get("submission_key"),
                action=lambda: services.landlord_save(landlord=form.instance),
                url_of=lambda _landlord: reverse("housing:landlord_list"),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.replayed:
                messages.info(request, REPLAYED)
            else:
                done = "ajouté" if creating else "mis à jour"
                messages.success(request, f"Bailleur {done} : {outcome.result.name}.")
            return redirect(outcome.url)
    return render(
        request,
        "housing/landlord_form.html",
        {
            "form": form,
            "title": "Nouveau bailleur" if creating else f"Modifier {form.initial.get('name', '')}",
            "cancel_url": reverse("housing:landlord_list"),
            "landlord": instance,
            "panels": [] if creating else selectors.landlord_panels(instance),
        },
    )


# --- Captation pipeline ---------------------------------------------------------------------


@member_required(HOUSING_MANAGERS)
def prospect_board(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "housing/prospect_board.html",
        {"columns": selectors.prospect_board(), "statuses": ProspectStatus},
    )


@member_required(HOUSING_MANAGERS)
def prospect_create(request: HttpRequest) -> HttpResponse:
    form = ProspectForm(request.POST or None, instance=Prospect(organisation=request.organisation))
    if request.method == "POST" and form.is_valid():
        try:
            outcome = run_once(
                key=form.cleaned_data.get("submission_key"),
                action=lambda: services.prospect_create(prospect=form.instance, by=request.user),
                url_of=lambda _prospect: reverse("housing:prospect_board"),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.replayed:
                messages.info(request, REPLAYED)
            else:
                messages.success(request, f"Prospection ouverte : {outcome.result}.")
            return redirect(outcome.url)
    return _form_page(
        request,
        form,
        title="Nouvelle prospection",
        intro="Un logement repéré : il avance ensuite de la visite à la négociation, puis à la "
        "captation.",
        cancel_url=reverse("housing:prospect_board"),
    )


@member_required(HOUSING_MANAGERS)
def prospect_edit(request: HttpRequest, prospect: str) -> HttpResponse:
    instance = get_object_or_404(Prospect.objects.select_related("unit"), public_id=prospect)
    form = ProspectForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_update(prospect=form.instance)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Prospection mise à jour : {instance}.")
            return redirect("housing:prospect_board")
    return render(
        request,
        "housing/prospect_form.html",
        {
            "form": form,
            "prospect": instance,
            "transitions": instance.transitions.select_related("by"),
        },
    )


@require_POST
@member_required(HOUSING_MANAGERS)
def prospect_move(request: HttpRequest, prospect: str) -> HttpResponse:
    instance = get_object_or_404(Prospect, public_id=prospect)
    form = ProspectMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Étape inconnue.")
        return redirect("housing:prospect_board")
    try:
        moved = services.prospect_move(
            prospect=instance, status=form.cleaned_data["status"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{moved} : étape « {moved.get_status_display()} ».")
    return redirect("housing:prospect_board")


@member_required(HOUSING_MANAGERS)
def prospect_capture(request: HttpRequest, prospect: str) -> HttpResponse:
    instance = get_object_or_404(Prospect.objects.select_related("landlord"), public_id=prospect)
    if not instance.can_be_captured:
        messages.error(
            request,
            "Seule une prospection en négociation peut être captée"
            f" (celle-ci est à l’étape « {instance.get_status_display()} »).",
        )
        return redirect("housing:prospect_board")
    form = ProspectCaptureForm(
        request.POST or None,
        initial={
            "captation_date": timezone.localdate(),
            "rent": instance.rent_asked,
            "charges": 0,
            "management_mode": ManagementMode.SOUS_LOCATION,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.prospect_capture(
                prospect=instance, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"Logement {unit.reference} capté : il compte dans le parc dès le "
                f"{unit.captation_date:%d/%m/%Y}.",
            )
            return redirect("housing:unit_detail", unit=unit.public_id)
    return render(request, "housing/prospect_capture.html", {"form": form, "prospect": instance})
