"""Household screens: lists, the household page and one form per state change."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from households import selectors, services
from households.filters import HouseholdFilter
from households.forms import (
    CancelForm,
    EmploymentForm,
    HouseholdEditForm,
    HouseholdOrientForm,
    PersonForm,
    PersonLeaveForm,
    ResourceForm,
    WithdrawForm,
)
from households.models import EventKind, Household, HouseholdStatus, Person
from iml.access_log import record_access
from iml.codes import PersonRole
from iml.forms import submit_form
from iml.fragments import deferred
from iml.listing import Column, Listing
from iml.permissions import (
    ADMISSION_ROLES,
    HOUSEHOLD_MANAGERS,
    HOUSEHOLD_VIEWERS,
    has_role,
    member_required,
)

PAGE_SIZE = 25
FORM_PAGE = "iml/form_page.html"


def _person(public_id) -> Person:
    return get_object_or_404(
        Person.objects.select_related("household", "household__dispositif"), public_id=public_id
    )


HOUSEHOLD_COLUMNS = [
    Column("reference", "Référence", lambda h: h.reference, ("reference",)),
    Column("nom", "Personne de référence",
           lambda h: " ".join(filter(None, [h.head_last_name, h.head_first_name])),
           (F("head_last_name"), F("head_first_name"))),
    Column("personnes", "Personnes", lambda h: h.persons_count, (F("persons_count"),),
           numeric=True),
    Column("dispositif", "Dispositif", lambda h: h.dispositif.name, ("dispositif__name",)),
    Column("situation", "Situation", lambda h: h.get_status_display(), ("status_code",)),
    Column("orientation", "Orientation", lambda h: h.orientation_date,
           (F("orientation_date"),)),
    Column("entree", "Entrée", lambda h: h.entry_date, (F("entry_date"),)),
    Column("referent", "Référent·e", lambda h: str(h.referent or ""),
           (F("referent__last_name"), F("referent__first_name"))),
]  # fmt: skip
LIST_PARAMETERS = ("tri", "page", "export")


def _filter_data(request: HttpRequest) -> QueryDict | None:
    """The filters of a list's query string, without its sort, page and export."""
    data = request.GET.copy()
    for name in LIST_PARAMETERS:
        data.pop(name, None)
    return data or None


@member_required(HOUSEHOLD_VIEWERS)
def household_list(request: HttpRequest) -> HttpResponse:
    listing = Listing(request, HOUSEHOLD_COLUMNS, name="ménages")

    def filtered() -> tuple[HouseholdFilter, QuerySet]:
        queryset = selectors.households_for_list().order_by(
            F("orientation_date").desc(nulls_last=True), "-pk"
        )
        filterset = HouseholdFilter(_filter_data(request), queryset=queryset, request=request)
        households = filterset.qs if filterset.is_bound else queryset
        return filterset, listing.order(households)

    if (download := listing.export(lambda: filtered()[1])) is not None:
        return download

    def listed() -> dict:
        filterset, households = filtered()
        page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
        return {"filter": filterset, "page": page}

    # Built only when the list's block is not in the cache (``iml.fragments``).
    return render(
        request,
        "households/household_list.html",
        {"listed": deferred(listed), "listing": listing},
    )


WAITING_COLUMNS = [
    Column("orientation", "Orientation", lambda h: h.orientation_date, (F("orientation_date"),)),
    Column("attente", "Jours d’attente", lambda h: h.waited_days, (F("waited_days"),),
           numeric=True),
    Column("menage", "Ménage", lambda h: h.heading,
           (F("head_last_name"), F("head_first_name"), "reference")),
    Column("personnes", "Personnes", lambda h: h.persons_count, (F("persons_count"),),
           numeric=True),
    Column("dispositif", "Dispositif", lambda h: h.dispositif.name, ("dispositif__name",)),
    Column("structure", "Structure orienteuse", lambda h: h.orienting_structure,
           ("orienting_structure",)),
    Column("siao", "Référence SI-SIAO", lambda h: h.siao_reference, ("siao_reference",)),
]  # fmt: skip


@member_required(HOUSEHOLD_VIEWERS)
def waiting_list(request: HttpRequest) -> HttpResponse:
    listing = Listing(request, WAITING_COLUMNS, name="liste d’attente")
    if (download := listing.export(lambda: listing.order(selectors.waiting_list()))) is not None:
        return download
    page = deferred(
        lambda: Paginator(listing.order(selectors.waiting_list()), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    )
    return render(
        request,
        "households/waiting_list.html",
        {"page": page, "today": timezone.localdate(), "listing": listing},
    )


@member_required(HOUSEHOLD_VIEWERS)
def household_detail(request: HttpRequest, household: str) -> HttpResponse:
    obj = selectors.household_for_page(household)
    record_access(request, object_type="household", object_id=obj.public_id,
                  household_id=obj.public_id)  # fmt: skip
    return render(
        request,
        "households/household_detail.html",
        {
            "household": obj,
            # Read only when the page's block is not in the cache (``iml.fragments``).
            "persons": deferred(selectors.household_persons, obj),
            "resources": obj.resource_records.all()[:5],
            "events": obj.events.select_related("recorded_by", "person")[:50],
            "can_manage": has_role(request.membership, HOUSEHOLD_MANAGERS),
            "can_admit": has_role(request.membership, ADMISSION_ROLES),
            "panels": deferred(
                selectors.household_panels, household=obj, membership=request.membership
            ),
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
    obj = selectors.household_or_404(household)
    form = HouseholdEditForm(request.POST or None, initial=HouseholdEditForm.initial_from(obj))
    return submit_form(
        request,
        form,
        lambda data: services.household_update(
            household=obj, by=request.user, **form.household_fields()
        ),
        "Informations du ménage enregistrées.",
        obj.get_absolute_url(),
        FORM_PAGE,
        {
            "household": obj,
            "cancel_url": obj.get_absolute_url(),
            "title": f"Modifier le ménage {obj.reference}",
        },
    )


def cancel_page(
    request: HttpRequest,
    household: Household,
    kind: EventKind,
    action: Callable[[str], object],
    *,
    success: str,
    title: str,
    explanation: str,
) -> HttpResponse:
    """The confirmation page of a cancellation: a head, or whoever recorded the change."""
    membership = request.membership
    if membership is None or not services.may_cancel(
        household, kind, request.user, membership.role
    ):
        raise PermissionDenied(
            "Seuls la ou le responsable et la personne qui l’a enregistré peuvent l’annuler."
        )
    return submit_form(
        request,
        CancelForm(request.POST or None),
        lambda data: action(data["reason"]),
        success,
        household.get_absolute_url(),
        FORM_PAGE,
        {
            "household": household,
            "cancel_url": household.get_absolute_url(),
            "title": title,
            "intro": explanation,
            "submit_label": title,
            "confirm": f"{title} du ménage {household.reference} ?",
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_withdraw_cancel(request: HttpRequest, household: str) -> HttpResponse:
    obj = selectors.household_or_404(household)
    return cancel_page(
        request,
        obj,
        EventKind.WITHDRAWN,
        lambda reason: services.household_withdraw_cancel(
            household=obj, reason=reason, by=request.user
        ),
        success=f"Retrait annulé : le ménage {obj.reference} est de nouveau en attente.",
        title="Annuler le retrait",
        explanation=f"Le ménage {obj.reference} reviendra sur la liste d’attente, à sa date "
        "d’orientation. Le retrait reste visible dans l’historique.",
    )


@member_required(HOUSEHOLD_MANAGERS)
def household_withdraw(request: HttpRequest, household: str) -> HttpResponse:
    obj = selectors.household_or_404(household)
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
        FORM_PAGE,
        {
            "household": obj,
            "cancel_url": obj.get_absolute_url(),
            "title": f"Retirer {obj.reference} de la liste d’attente",
            "submit_label": "Retirer de la liste",
            "confirm": f"Retirer le ménage {obj.reference} de la liste d’attente ?",
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def person_add(request: HttpRequest, household: str) -> HttpResponse:
    obj = selectors.household_or_404(household)
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
        FORM_PAGE,
        {
            "household": obj,
            "cancel_url": obj.get_absolute_url(),
            "title": f"Ajouter une personne au ménage {obj.reference}",
        },
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
        FORM_PAGE,
        {
            "household": obj.household,
            "cancel_url": obj.household.get_absolute_url(),
            "title": f"Modifier {obj}",
        },
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
        FORM_PAGE,
        {
            "household": obj.household,
            "cancel_url": obj.household.get_absolute_url(),
            "title": f"Départ de {obj}",
        },
    )


@member_required(HOUSEHOLD_MANAGERS)
def resources_add(request: HttpRequest, household: str) -> HttpResponse:
    obj = selectors.household_or_404(household)
    current = obj.resource_records.order_by("-date", "-pk").first()
    form = ResourceForm(request.POST or None, initial=ResourceForm.initial_from(current))
    return submit_form(
        request,
        form,
        lambda data: services.resources_record(
            household=obj,
            day=data["date"],
            resources=data["resources"],
            by=request.user,
            monthly_amounts=form.monthly_amounts(),
        ),
        "Ressources enregistrées.",
        obj.get_absolute_url(),
        "households/resources_form.html",
        {
            "household": obj,
            "cancel_url": obj.get_absolute_url(),
            "title": f"Ressources du ménage {obj.reference}",
            "current": current,
        },
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
        FORM_PAGE,
        {
            "household": obj.household,
            "cancel_url": obj.household.get_absolute_url(),
            "title": f"Situation d’emploi de {obj}",
        },
    )
