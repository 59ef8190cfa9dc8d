"""Screens of the support app: logging an interaction, a household's timeline.

Social workers and heads log interactions and read their notes (SUPPORT_MANAGERS); régisseurs
read the timeline without the notes (SUPPORT_VIEWERS); admins see none of it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from households.models import Household
from households.timeline import TimelineKind, household_timeline
from iml.access_log import record_access
from iml.forms import add_service_error
from iml.permissions import (
    SUPPORT_MANAGERS,
    SUPPORT_VIEWERS,
    can_read_support_notes,
    member_required,
)
from iml.submissions import REPLAYED, run_once
from support.forms.interactions import InteractionForm, TimelineFilterForm
from support.interactions import (
    interaction_delete,
    interaction_log,
    interaction_update,
    may_change,
    may_delete,
    may_edit,
)
from support.models import Interaction

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@member_required(SUPPORT_MANAGERS)
def interaction_create(request: HttpRequest, household: str) -> HttpResponse:
    obj = get_object_or_404(Household, public_id=household)
    form = InteractionForm(request.POST or None, household=obj, user=request.user)
    timeline = reverse("support:household_timeline", args=[obj.public_id])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = run_once(
                key=data.get("submission_key"),
                action=lambda: interaction_log(
                    household=obj,
                    date=data["date"],
                    kind=data["kind"],
                    domains=data["domains"],
                    duration_minutes=data["duration_minutes"],
                    persons=list(data["persons"]),
                    staff=list(data["staff"]),
                    notes=data["notes"],
                    next_appointment=data["next_appointment"],
                    by=request.user,
                ),
                url_of=lambda _interaction: _next_url(request, timeline),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.replayed:
                messages.info(request, REPLAYED)
            else:
                messages.success(request, f"Échange enregistré pour {obj.reference}.")
            return redirect(outcome.url)
    return render(
        request,
        "support/interaction_form.html",
        {"form": form, "household": obj, "next": _next_url(request, timeline)},
    )


@member_required(SUPPORT_VIEWERS)
def household_timeline_view(request: HttpRequest, household: str) -> HttpResponse:
    obj = get_object_or_404(Household, public_id=household)
    with_notes = can_read_support_notes(request.membership)
    choices = TimelineKind.CHOICES
    form = TimelineFilterForm(request.GET or None, choices=choices)
    kinds = (
        set(form.cleaned_data["type"]) if form.is_valid() and form.cleaned_data["type"] else None
    )
    record_access(request, object_type="timeline", object_id=obj.public_id,
                  household_id=obj.public_id)  # fmt: skip
    items = household_timeline(obj, with_notes=with_notes, kinds=kinds)
    page = Paginator(items, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.editable = bool(item.edit_url) and may_change(
            item.author_id, item.recorded_at, request.user, request.membership.role
        )
    return render(
        request,
        "support/timeline.html",
        {
            "household": obj,
            "page": page,
            "form": form,
            "with_notes": with_notes,
            "can_log": request.membership.role in SUPPORT_MANAGERS,
        },
    )


@member_required(SUPPORT_MANAGERS)
def interaction_edit(request: HttpRequest, interaction: str) -> HttpResponse:
    """Its author corrects an interaction for a week; a head (or its author) deletes it."""
    obj = get_object_or_404(
        Interaction.objects.select_related("household", "created_by"), public_id=interaction
    )
    household = obj.household
    timeline = reverse("support:household_timeline", args=[household.public_id])
    editable = may_edit(obj, request.user)
    deletable = may_delete(obj, request.user, request.membership.role)
    if not (editable or deletable):
        raise PermissionDenied(
            "Seule la personne qui a noté cet échange peut le corriger, pendant une semaine ; "
            "un·e responsable peut le supprimer."
        )
    initial = {
        "date": obj.date, "kind": obj.kind, "domains": obj.domains,
        "duration_minutes": obj.duration_minutes, "persons": list(obj.persons.all()),
        "staff": [user for user in obj.staff.all() if user.pk != request.user.pk],
        "notes": obj.notes, "next_appointment": obj.next_appointment,
    }  # fmt: skip
    form = InteractionForm(
        request.POST or None, initial=initial, household=household, user=request.user
    )
    if editable and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interaction_update(
                interaction=obj, by=request.user, date=data["date"], kind=data["kind"],
                domains=data["domains"], duration_minutes=data["duration_minutes"],
                persons=list(data["persons"]), staff=list(data["staff"]),
                notes=data["notes"], next_appointment=data["next_appointment"],
            )  # fmt: skip
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Échange du {data['date']:%d/%m/%Y} corrigé.")
            return redirect(timeline)
    return render(
        request,
        "support/interaction_edit.html",
        {
            "form": form,
            "household": household,
            "interaction": obj,
            "editable": editable,
            "deletable": deletable,
            "next": timeline,
        },
    )


@require_POST
@member_required(SUPPORT_MANAGERS)
def interaction_remove(request: HttpRequest, interaction: str) -> HttpResponse:
    obj = get_object_or_404(Interaction.objects.select_related("household"), public_id=interaction)
    timeline = reverse("support:household_timeline", args=[obj.household.public_id])
    try:
        interaction_delete(interaction=obj, by=request.user, role=request.membership.role)
    except ValidationError as error:
        raise PermissionDenied(" ".join(error.messages)) from error
    messages.success(request, f"Échange du {obj.date:%d/%m/%Y} supprimé.")
    return redirect(timeline)
