"""Screens of the tenancy app: inventories (états des lieux) and technical incidents.

Inventories: régisseurs and heads record them (their damages go to the ledger, hence
MONEY_RECORDERS); social workers read them and their PDF (MONEY_VIEWERS). Incidents:
régisseurs and heads report and follow them (HOUSING_MANAGERS); social workers read the list
(HOUSING_VIEWERS). Objects are loaded through the organisation-scoped managers by public
identifier: another organisation's gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from housing.models import HousingUnit
from iml.downloads import attachment
from iml.forms import add_service_error, submit_form
from iml.permissions import (
    HOUSING_MANAGERS,
    HOUSING_VIEWERS,
    MONEY_RECORDERS,
    MONEY_VIEWERS,
    has_role,
    member_required,
)
from tenancy import inventories as services
from tenancy.filters import OPEN, IncidentFilter
from tenancy.forms.inventories import (
    IncidentForm,
    IncidentStatusForm,
    InventoryForm,
    InventoryItemFormSet,
)
from tenancy.models import (
    Incident,
    IncidentStatus,
    Inventory,
    InventoryKind,
    ItemCondition,
    SubleaseContract,
)

PAGE_SIZE = 25


# --- Inventories ----------------------------------------------------------------------------


@member_required(MONEY_RECORDERS)
def inventory_create(request: HttpRequest, contract: str, kind: str) -> HttpResponse:
    if kind not in InventoryKind.values:
        raise Http404
    obj = get_object_or_404(
        SubleaseContract.objects.select_related("household", "unit", "room"), public_id=contract
    )
    existing = Inventory.objects.filter(contract=obj, kind=kind).first()
    if existing is not None:
        messages.info(
            request,
            f"Ce contrat a déjà son {existing.get_kind_display()} : il ne se refait pas.",
        )
        return redirect("tenancy:inventory_detail", inventory=existing.public_id)
    at_exit = kind == InventoryKind.SORTIE
    today = timezone.localdate()
    rows = services.initial_rows(obj, kind)
    default_date = min(obj.actual_end_date or today, today) if at_exit else obj.start_date
    form = InventoryForm(request.POST or None, exit=at_exit, initial={"date": default_date})
    formset = InventoryItemFormSet(
        request.POST or None,
        initial=[{"room": row["room"], "item": row["item"]} for row in rows],
        prefix="items",
    )
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        try:
            inventory = services.inventory_create(
                contract=obj,
                kind=kind,
                date=form.cleaned_data["date"],
                notes=form.cleaned_data["notes"],
                items=formset.rows(),
                damages=form.cleaned_data.get("damages"),
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            text = f"{inventory.get_kind_display().capitalize()} enregistré."
            if inventory.damages_entry_id:
                text += " Les dégradations sont inscrites au compte du ménage."
            messages.success(request, text)
            return redirect("tenancy:inventory_detail", inventory=inventory.public_id)
    labels = dict(ItemCondition.choices)
    entry_conditions = [labels.get(row.get("entry_condition"), "") for row in rows]
    entry_conditions += [""] * (len(formset.forms) - len(entry_conditions))
    return render(
        request,
        "tenancy/inventory_form.html",
        {
            "contract": obj,
            "kind_label": InventoryKind(kind).label,
            "at_exit": at_exit,
            "compared": at_exit and any(entry_conditions),
            "blocked": at_exit and obj.actual_end_date is None,
            "form": form,
            "formset": formset,
            "item_rows": list(zip(formset.forms, entry_conditions, strict=False)),
            "contract_url": obj.get_absolute_url(),
        },
    )


@member_required(MONEY_VIEWERS)
def inventory_detail(request: HttpRequest, inventory: str) -> HttpResponse:
    obj = get_object_or_404(services.inventory_for_page(inventory))
    contract = obj.contract
    exit_missing = (
        obj.kind == InventoryKind.ENTREE
        and contract.actual_end_date is not None
        and not Inventory.objects.filter(contract=contract, kind=InventoryKind.SORTIE).exists()
    )
    return render(
        request,
        "tenancy/inventory_detail.html",
        {
            "inventory": obj,
            "contract": contract,
            "rows": services.inventory_rows(obj),
            "at_exit": obj.kind == InventoryKind.SORTIE,
            "can_record": has_role(request.membership, MONEY_RECORDERS),
            "exit_missing": exit_missing,
            "contract_url": contract.get_absolute_url(),
        },
    )


@member_required(MONEY_VIEWERS)
def inventory_pdf(request: HttpRequest, inventory: str) -> HttpResponse:
    obj = get_object_or_404(services.inventory_for_page(inventory))
    response = HttpResponse(services.inventory_pdf(obj), content_type="application/pdf")
    attachment(response, "etat-des-lieux", obj.kind, obj.contract.reference, extension="pdf")
    return response


# --- Incidents ------------------------------------------------------------------------------


@member_required(HOUSING_VIEWERS)
def incident_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("state", OPEN)
    incident_filter = IncidentFilter(data, queryset=Incident.objects.all())
    incidents = services.incidents_for_list(incident_filter.qs)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tenancy/incident_list.html",
        {"filter": incident_filter, "page": page},
    )


@member_required(HOUSING_MANAGERS)
def incident_create(request: HttpRequest, unit: str) -> HttpResponse:
    housing_unit = get_object_or_404(HousingUnit, public_id=unit)
    unit_url = reverse("housing:unit_detail", kwargs={"unit": housing_unit.public_id})
    form = IncidentForm(request.POST or None, initial={"reported_on": timezone.localdate()})
    return submit_form(
        request,
        form,
        lambda data: services.incident_report(
            unit=housing_unit,
            kind=data["kind"],
            description=data["description"],
            reported_on=data["reported_on"],
            by=request.user,
        ),
        success=lambda incident: f"Incident signalé : {incident.get_kind_display()}.",
        redirect_to=unit_url,
        template="tenancy/incident_form.html",
        context={
            "title": f"Signaler un incident — logement {housing_unit.reference}",
            "unit": housing_unit,
            "submit_label": "Signaler l’incident",
            "cancel_url": unit_url,
        },
    )


@member_required(HOUSING_MANAGERS)
def incident_edit(request: HttpRequest, incident: str) -> HttpResponse:
    obj = get_object_or_404(Incident.objects.select_related("unit"), public_id=incident)
    unit_url = reverse("housing:unit_detail", kwargs={"unit": obj.unit.public_id})
    form = IncidentStatusForm(
        request.POST or None,
        initial={
            "status": obj.status,
            "resolved_on": obj.resolved_on
            or (timezone.localdate() if obj.status != IncidentStatus.RESOLU else None),
        },
    )
    allowed = {obj.status, *services.TRANSITIONS[obj.status]}
    form.fields["status"].choices = [c for c in IncidentStatus.choices if c[0] in allowed]
    return submit_form(
        request,
        form,
        lambda data: services.incident_update(
            incident=obj,
            status=data["status"],
            resolved_on=data["resolved_on"] if data["status"] == IncidentStatus.RESOLU else None,
            by=request.user,
        ),
        success=lambda updated: f"Incident « {updated.get_status_display()} ».",
        redirect_to=unit_url,
        template="tenancy/incident_form.html",
        context={
            "title": f"Suivi de l’incident — logement {obj.unit.reference}",
            "unit": obj.unit,
            "incident": obj,
            "submit_label": "Enregistrer",
            "cancel_url": unit_url,
        },
    )
