"""Household screens: lists, the household page and one form per state change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from households import rgpd_export, selectors, services
from households.filters import HouseholdFilter
from households.forms import (
    AdmitForm,
    EmploymentForm,
    ExitForm,
    HouseholdEditForm,
    HouseholdOrientForm,
    PersonForm,
    PersonLeaveForm,
    ResourceForm,
    WithdrawForm,
)
from households.models import Household, HouseholdStatus, Person
from housing.selectors import find_free_space, free_spaces
from iml.access_log import record_access
from iml.codes import PersonRole
from iml.downloads import attachment
from iml.forms import submit_form
from iml.models import AccessAction, Role
from iml.permissions import (
    ADMISSION_ROLES,
    HOUSEHOLD_MANAGERS,
    HOUSEHOLD_VIEWERS,
    MONEY_VIEWERS,
    SUPPORT_MANAGERS,
    has_role,
    member_required,
)
from support.network import household_referrals
from tenancy.models import Amendment
from tenancy.money import household_balance
from tenancy.services import ContractTerms, admit_with_contract, exit_with_contracts

PAGE_SIZE = 25


def _household(public_id) -> Household:
    return get_object_or_404(
        Household.objects.select_related("dispositif", "referent"), public_id=public_id
    )


def _person(public_id) -> Person:
    return get_object_or_404(
        Person.objects.select_related("household", "household__dispositif"), public_id=public_id
    )


@member_required(HOUSEHOLD_VIEWERS)
def household_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.households_for_list().order_by(
        F("orientation_date").desc(nulls_last=True), "-pk"
    )
    filterset = HouseholdFilter(request.GET or None, queryset=queryset, request=request)
    households = filterset.qs if filterset.is_bound else queryset
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "households/household_list.html", {"filter": filterset, "page": page})


@member_required(HOUSEHOLD_VIEWERS)
def waiting_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.waiting_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "households/waiting_list.html", {"page": page, "today": timezone.localdate()}
    )


@member_required(HOUSEHOLD_VIEWERS)
def household_detail(request: HttpRequest, household: str) -> HttpResponse:
    obj = _household(household)
    record_access(request, object_type="household", object_id=obj.public_id,
                  household_id=obj.public_id)  # fmt: skip
    return render(
        request,
        "households/household_detail.html",
        {
            "household": obj,
            "persons": selectors.household_persons(obj),
            "resources": obj.resource_records.all()[:5],
            "events": obj.events.select_related("recorded_by", "person")[:50],
            "contracts": obj.contracts.select_related("unit", "room").prefetch_related(
                Prefetch("amendments", queryset=Amendment.objects.order_by("-number"))
            ),
            "can_manage": has_role(request.membership, HOUSEHOLD_MANAGERS),
            "can_admit": has_role(request.membership, ADMISSION_ROLES),
            "referrals": household_referrals(obj)
            if has_role(request.membership, SUPPORT_MANAGERS)
            else None,
            "support_contract": obj.support_contracts.first(),
            "balance": household_balance(obj)
            if has_role(request.membership, MONEY_VIEWERS)
            else None,
            "Status": HouseholdStatus,
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_orient(request: HttpRequest) -> HttpResponse:
    form = HouseholdOrientForm(
        request.POST or None, initial={"reference": selectors.next_reference()}
    )
    return submit_form(
        request,
        form,
        lambda data: services.household_orient(
            **form.household_fields(),
            reference_person=form.person_data(role=PersonRole.REFERENT),
            by=request.user,
        ),
        lambda household: (
            f"Orientation enregistrée : {household.reference}. Complétez la composition du ménage."
        ),
        lambda household: household.get_absolute_url(),
        "households/household_orient.html",
        {},
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_edit(request: HttpRequest, household: str) -> HttpResponse:
    obj = _household(household)
    form = HouseholdEditForm(request.POST or None, initial=HouseholdEditForm.initial_from(obj))
    return submit_form(
        request,
        form,
        lambda data: services.household_update(
            household=obj, by=request.user, **form.household_fields()
        ),
        "Informations du ménage enregistrées.",
        obj.get_absolute_url(),
        "households/household_form.html",
        {"household": obj, "title": f"Modifier le ménage {obj.reference}"},
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_withdraw(request: HttpRequest, household: str) -> HttpResponse:
    obj = _household(household)
    return submit_form(
        request,
        WithdrawForm(request.POST or None),
        lambda data: services.household_withdraw(
            household=obj,
            withdrawal_date=data["withdrawal_date"],
            reason=data["reason"],
            by=request.user,
        ),
        f"Le ménage {obj.reference} est retiré de la liste d’attente.",
        obj.get_absolute_url(),
        "households/household_form.html",
        {"household": obj, "title": f"Retirer {obj.reference} de la liste d’attente"},
    )


@member_required(ADMISSION_ROLES)
def household_admit(request: HttpRequest, household: str) -> HttpResponse:
    """Entry into a free space: the household is admitted and its sublease contract created,
    both or neither."""
    obj = _household(household)
    today = timezone.localdate()
    spaces = free_spaces(at=today, dispositif=obj.dispositif)
    form = AdmitForm(request.POST or None, spaces=spaces)

    def admit(data: dict):
        # The space must (still) be free on the entry date, which may differ from today.
        space = find_free_space(key=data["space"], at=data["entry_date"],
                                dispositif=obj.dispositif)  # fmt: skip
        if space is None:
            raise ValidationError({"space": "Cet espace n’est pas libre à la date d’entrée."})
        terms = ContractTerms(
            rent=data["rent"],
            charges=data["charges"],
            deposit=data["deposit"],
            expected_housing_benefit=data["expected_housing_benefit"],
            towards_sliding_lease=data["towards_sliding_lease"],
        )
        return admit_with_contract(household=obj, unit=space.unit, room=space.room,
                                   entry_date=data["entry_date"], terms=terms,
                                   by=request.user)  # fmt: skip

    return submit_form(
        request,
        form,
        admit,
        lambda contract: (
            f"Entrée du ménage {obj.reference} enregistrée ; contrat "
            f"{contract.reference} jusqu’au {contract.initial_end_date:%d/%m/%Y}."
        ),
        obj.get_absolute_url(),
        "households/household_admit.html",
        {
            "household": obj,
            "title": f"Entrée du ménage {obj.reference}",
            "free_spaces": spaces,
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_exit(request: HttpRequest, household: str) -> HttpResponse:
    obj = _household(household)
    return submit_form(
        request,
        ExitForm(request.POST or None),
        lambda data: exit_with_contracts(
            household=obj,
            exit_date=data["exit_date"],
            destination=data["destination"],
            bail_glissant=data["bail_glissant"],
            exit_support=data["exit_support"],
            by=request.user,
        ),
        f"Sortie du ménage {obj.reference} enregistrée.",
        obj.get_absolute_url(),
        "households/household_form.html",
        {"household": obj, "title": f"Sortie du ménage {obj.reference}"},
    )


@member_required(HOUSEHOLD_MANAGERS)
def person_add(request: HttpRequest, household: str) -> HttpResponse:
    obj = _household(household)
    form = PersonForm(request.POST or None, household=obj)
    return submit_form(
        request,
        form,
        lambda data: services.person_add(
            household=obj,
            data=form.person_data(),
            joined_date=data.get("joined_date"),
            by=request.user,
        ),
        "Personne ajoutée au ménage.",
        obj.get_absolute_url(),
        "households/household_form.html",
        {"household": obj, "title": f"Ajouter une personne au ménage {obj.reference}"},
    )


@member_required(HOUSEHOLD_MANAGERS)
def person_edit(request: HttpRequest, person: str) -> HttpResponse:
    obj = _person(person)
    record_access(request, object_type="person", object_id=obj.public_id,
                  household_id=obj.household.public_id)  # fmt: skip
    form = PersonForm(
        request.POST or None,
        household=obj.household,
        editing=True,
        initial=PersonForm.initial_from(obj),
    )
    return submit_form(
        request,
        form,
        lambda data: services.person_update(person=obj, data=form.person_data(), by=request.user),
        f"Identité de {obj} enregistrée.",
        obj.household.get_absolute_url(),
        "households/household_form.html",
        {"household": obj.household, "title": f"Modifier {obj}"},
    )


@member_required(HOUSEHOLD_MANAGERS)
def person_leave(request: HttpRequest, person: str) -> HttpResponse:
    obj = _person(person)
    return submit_form(
        request,
        PersonLeaveForm(request.POST or None),
        lambda data: services.person_leave(
            person=obj, left_date=data["left_date"], by=request.user
        ),
        f"Départ de {obj} enregistré.",
        obj.household.get_absolute_url(),
        "households/household_form.html",
        {"household": obj.household, "title": f"Départ de {obj}"},
    )


@member_required(HOUSEHOLD_MANAGERS)
def resources_add(request: HttpRequest, household: str) -> HttpResponse:
    obj = _household(household)
    return submit_form(
        request,
        ResourceForm(request.POST or None),
        lambda data: services.resources_record(
            household=obj, day=data["date"], resources=data["resources"], by=request.user
        ),
        "Ressources enregistrées.",
        obj.get_absolute_url(),
        "households/household_form.html",
        {"household": obj, "title": f"Ressources du ménage {obj.reference}"},
    )


@member_required(HOUSEHOLD_MANAGERS)
def employment_add(request: HttpRequest, person: str) -> HttpResponse:
    obj = _person(person)
    return submit_form(
        request,
        EmploymentForm(request.POST or None),
        lambda data: services.employment_record(
            person=obj, day=data["date"], employment=data["employment"], by=request.user
        ),
        f"Situation d’emploi de {obj} enregistrée.",
        obj.household.get_absolute_url(),
        "households/household_form.html",
        {"household": obj.household, "title": f"Situation d’emploi de {obj}"},
    )


@member_required((Role.HEAD,))
def household_export(request: HttpRequest, household: str, fmt: str) -> HttpResponse:
    """Everything held on the household, for a right-of-access request (RGPD art. 15)."""
    obj = _household(household)
    record_access(request, object_type="household", object_id=obj.public_id,
                  household_id=obj.public_id, action=AccessAction.EXPORT)  # fmt: skip
    filename = f"menage-{obj.reference}-donnees"
    if fmt == "pdf":
        response = HttpResponse(rgpd_export.household_pdf(obj), content_type="application/pdf")
    else:
        response = JsonResponse(rgpd_export.household_data(obj), json_dumps_params={"indent": 2,
                                "ensure_ascii": False})  # fmt: skip
    attachment(response, filename, extension=fmt)
    return response
