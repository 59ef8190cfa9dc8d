from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from iml.permissions import HOUSING_VIEWERS, member_required


@member_required(HOUSING_VIEWERS)
def unit_list(request: HttpRequest) -> HttpResponse:
    """Placeholder replaced by the housing stock list."""
    return render(request, "housing/unit_list.html", {})
