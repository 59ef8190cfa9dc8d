"""RGPD screens: everything held on a household, for a right-of-access request."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from households.models import Household
from iml.access_log import record_access
from iml.downloads import attachment
from iml.models import AccessAction, Role
from iml.permissions import member_required
from privacy import rgpd_export
from privacy.archive import household_archive


@member_required((Role.HEAD,))
def household_export(request: HttpRequest, household: str, fmt: str) -> HttpResponse:
    """Everything held on the household, for a right-of-access request (RGPD art. 15)."""
    obj = get_object_or_404(Household.objects, public_id=household)
    record_access(request, object_type="household", object_id=obj.public_id,
                  household_id=obj.public_id, action=AccessAction.EXPORT)  # fmt: skip
    filename = f"menage-{obj.reference}-donnees"
    if fmt == "pdf":
        response = HttpResponse(rgpd_export.household_pdf(obj), content_type="application/pdf")
    elif fmt == "zip":
        response = HttpResponse(household_archive(obj), content_type="application/zip")
    else:
        response = JsonResponse(rgpd_export.household_data(obj), json_dumps_params={"indent": 2,
                                "ensure_ascii": False})  # fmt: skip
    attachment(response, filename, extension=fmt)
    return response
