"""Screens of the support app: support contracts (contrat d'accompagnement individualisé),
their objectives and amendments, and the signed document (PDF).

Objectives are support content: social workers and heads (SUPPORT_MANAGERS) read and write
them; régisseurs and organisation admins get 403. Objects are loaded through the scoped
managers by public identifier (another organisation's object: 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from households.models import Household
from households.stays import current_end
from iml.access_log import record_access
from iml.downloads import attachment
from iml.forms import submit_form
from iml.models import AccessAction
from iml.permissions import SUPPORT_MANAGERS, member_required
from support import contracts as services
from support.forms.contracts import ContractSignForm, ObjectiveCloseForm, ObjectiveForm, RenewalForm
from support.models import ObjectiveStatus, SupportContract, SupportObjective

FORM_PAGE = "iml/form_page.html"
CONTRACT_RELATED = ("organisation", "household", "referent")


def _contract(public_id) -> SupportContract:
    return get_object_or_404(
        SupportContract.objects.select_related(*CONTRACT_RELATED), public_id=public_id
    )


def _objective(public_id) -> SupportObjective:
    return get_object_or_404(
        SupportObjective.objects.select_related("contract"), public_id=public_id
    )


def _objectives_url(contract: SupportContract) -> str:
    return f"{contract.get_absolute_url()}#objectifs"


@member_required(SUPPORT_MANAGERS)
def contract_sign(request: HttpRequest, household: str) -> HttpResponse:
    obj = get_object_or_404(Household, public_id=household)
    existing = SupportContract.objects.filter(household=obj).first()
    if existing is not None:
        messages.info(
            request, "Ce ménage a déjà un contrat d’accompagnement : renouvelez-le par avenant."
        )
        return redirect(existing)
    form = ContractSignForm(request.POST or None, initial={"referent": obj.referent_id})
    return submit_form(
        request,
        form,
        lambda data: services.support_contract_sign(
            household=obj,
            signed_on=data["signed_on"],
            referent=data["referent"],
            objectives=form.objectives(),
            notes=data["notes"],
            by=request.user,
        ),
        lambda contract: (
            f"Contrat d’accompagnement signé le {contract.signed_on:%d/%m/%Y}, "
            f"jusqu’au {contract.initial_end_date:%d/%m/%Y}."
        ),
        lambda contract: contract.get_absolute_url(),
        "support/contract_sign.html",
        {"household": obj},
    )


@member_required(SUPPORT_MANAGERS)
def contract_detail(request: HttpRequest, support_contract: str) -> HttpResponse:
    obj = _contract(support_contract)
    household = obj.household
    record_access(request, object_type="supportcontract", object_id=obj.public_id,
                  household_id=household.public_id)  # fmt: skip
    objectives = list(obj.objectives.order_by("start_date", "pk"))
    amendments = list(obj.amendments.select_related("created_by").order_by("number"))
    today = timezone.localdate()
    return render(
        request,
        "support/contract_detail.html",
        {
            "contract": obj,
            "household": household,
            "objectives": objectives,
            "open_count": sum(o.status == ObjectiveStatus.EN_COURS for o in objectives),
            "amendments": amendments,
            "current_end": amendments[-1].new_end_date if amendments else obj.initial_end_date,
            "days_after_entry": services.days_after_entry(obj),
            "signed_late": services.signed_late(obj),
            "running": household.exit_date is None,
            "add_form": ObjectiveForm(initial={"start_date": today}),
            "today": today,
        },
    )


@member_required(SUPPORT_MANAGERS)
def contract_renew(request: HttpRequest, support_contract: str) -> HttpResponse:
    obj = _contract(support_contract)
    form = RenewalForm(request.POST or None)
    entry = obj.household.entry_date or obj.signed_on
    return submit_form(
        request,
        form,
        lambda data: services.support_contract_renew(contract=obj, by=request.user, **data),
        lambda amendment: (
            f"Avenant {amendment.number} enregistré : accompagnement jusqu’au "
            f"{amendment.new_end_date:%d/%m/%Y}."
        ),
        obj.get_absolute_url(),
        FORM_PAGE,
        {
            "title": f"Renouveler le contrat d’accompagnement — ménage {obj.household.reference}",
            "intro": f"Fin actuelle : {current_end(obj):%d/%m/%Y}. Entrée du ménage : "
            f"{entry:%d/%m/%Y}. Au-delà de 18 mois de séjour, l’avenant doit être justifié.",
            "submit_label": "Enregistrer l’avenant",
            "cancel_url": obj.get_absolute_url(),
        },
    )


@member_required(SUPPORT_MANAGERS)
def objective_add(request: HttpRequest, support_contract: str) -> HttpResponse:
    obj = _contract(support_contract)
    form = ObjectiveForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: services.objective_add(contract=obj, by=request.user, **data),
        "Objectif ajouté.",
        _objectives_url(obj),
        FORM_PAGE,
        {
            "title": f"Nouvel objectif — ménage {obj.household.reference}",
            "intro": f"Contrat d’accompagnement signé le {obj.signed_on:%d/%m/%Y}.",
            "submit_label": "Ajouter l’objectif",
            "cancel_url": obj.get_absolute_url(),
        },
    )


@require_POST
@member_required(SUPPORT_MANAGERS)
def objective_close(request: HttpRequest, objective: str) -> HttpResponse:
    obj = _objective(objective)
    form = ObjectiveCloseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Objectif non clos : choisissez « atteint » ou « abandonné » et une date."
        )
    else:
        try:
            closed = services.objective_close(objective=obj, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, f"Objectif non clos : {' '.join(error.messages)}")
        else:
            messages.success(
                request,
                f"Objectif « {closed.text} » : {closed.get_status_display()} le "
                f"{closed.closed_on:%d/%m/%Y}.",
            )
    return redirect(_objectives_url(obj.contract))


@require_POST
@member_required(SUPPORT_MANAGERS)
def objective_reopen(request: HttpRequest, objective: str) -> HttpResponse:
    obj = _objective(objective)
    try:
        services.objective_reopen(objective=obj, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Objectif « {obj.text} » de nouveau en cours.")
    return redirect(_objectives_url(obj.contract))


@member_required(SUPPORT_MANAGERS)
def contract_pdf(request: HttpRequest, support_contract: str) -> HttpResponse:
    obj = _contract(support_contract)
    record_access(request, object_type="supportcontract", object_id=obj.public_id,
                  household_id=obj.household.public_id, action=AccessAction.EXPORT)  # fmt: skip
    response = HttpResponse(services.contract_pdf(obj), content_type="application/pdf")
    attachment(response, "contrat-accompagnement", obj.household.reference, extension="pdf")
    return response
