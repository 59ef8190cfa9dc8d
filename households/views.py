from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from iml.permissions import HOUSEHOLD_VIEWERS, member_required


@member_required(HOUSEHOLD_VIEWERS)
def household_list(request: HttpRequest) -> HttpResponse:
    return render(request, "households/household_list.html", {})
