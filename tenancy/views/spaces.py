"""The free spaces screen: the housing stock at a date minus what contracts cover that day
(``tenancy.spaces``). Social workers read it to admit a household (HOUSING_VIEWERS); it
stays in the housing stock's navigation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from iml.permissions import HOUSING_VIEWERS, member_required
from tenancy.forms.spaces import FreeSpacesForm
from tenancy.spaces import free_spaces as free_spaces_at
from tenancy.spaces import planned_vacancies


@member_required(HOUSING_VIEWERS)
def free_spaces(request: HttpRequest) -> HttpResponse:
    form = FreeSpacesForm(request.GET or None)
    at, dispositif = timezone.localdate(), None
    if form.is_bound and form.is_valid():
        at = form.cleaned_data["at"] or at
        dispositif = form.cleaned_data["dispositif"]
    if not form.is_bound:
        form = FreeSpacesForm(initial={"at": at})
    spaces = free_spaces_at(at=at, dispositif=dispositif)
    return render(
        request,
        "tenancy/free_spaces.html",
        {
            "form": form,
            "at": at,
            "spaces": spaces,
            "places": sum(space.places for space in spaces),
            "planned": planned_vacancies(since=timezone.localdate(), dispositif=dispositif),
        },
    )
