"""The alert inbox: what the daily job (``alerts.job``) raised for the user, most urgent first,
and "seen" to take an alert out of the navigation badge's count; « Mes ménages », the same
rules household by household."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alerts.attention import attention_flags, my_households
from alerts.forms import AlertFilterForm
from alerts.selectors import INBOX_ROLES, by_urgency, visible_alerts
from alerts.services import alert_mark_seen as mark_seen
from households.selectors import search, with_reference_person
from iml.listing import Column, Listing
from iml.models import Role
from iml.permissions import SUPPORT_MANAGERS, member_required

PAGE_SIZE = 25


@member_required(INBOX_ROLES)
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET)
    listing = Listing(request, ALERT_COLUMNS, name="alertes")
    alerts = listing.order(by_urgency(form.filter(visible_alerts(request.membership))))
    if (download := listing.export(lambda: alerts)) is not None:
        return download
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/alert_list.html",
        {"form": form, "page": page, "next": request.get_full_path(), "listing": listing},
    )


ALERT_COLUMNS = [
    Column("niveau", "Niveau", lambda a: a.get_level_display()),  # the default order: urgency
    Column("alerte", "Alerte", lambda a: a.title, ("kind",)),
    # The household's reference; an alert about a home says « logement … ».
    Column("menage", "Ménage", lambda a: a.household.reference if a.household else a.about_label,
           ("household__reference", "unit__reference")),
    Column("echeance", "Échéance", lambda a: a.due_date, (F("due_date"),)),
    Column("suivie", "Suivie par",
           lambda a: str(a.assignee) if a.assignee else a.get_assignee_role_display(),
           ("assignee__last_name", "assignee_role")),
    Column("etat", "État", lambda a: a.get_status_display(), ("status",)),
]  # fmt: skip


def _back(request: HttpRequest) -> str:
    """The inbox page the user came from (filters and page kept), if it is one of this site."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return ""


@require_POST
@member_required(INBOX_ROLES)
def alert_mark_seen(request: HttpRequest, alert: str) -> HttpResponse:
    """An alert the user cannot see is not found (404), whatever its organisation."""
    obj = get_object_or_404(by_urgency(visible_alerts(request.membership)), public_id=alert)
    mark_seen(alert=obj)
    back = _back(request)
    if request.htmx:
        return render(request, "alerts/alert_row.html", {"alert": obj, "next": back})
    return redirect(back or "alert_list")


@member_required(SUPPORT_MANAGERS)
def my_households_view(request: HttpRequest) -> HttpResponse:
    """« Mes ménages »: the referent's present households (a head may see all of them)."""
    everyone = request.membership.role == Role.HEAD and request.GET.get("tous") == "1"
    today = timezone.localdate()
    households = with_reference_person(my_households(None if everyone else request.user, today))
    query = (request.GET.get("q") or "").strip()
    if query:
        households = search(households, query)
    sort = request.GET.get("tri", "")
    if sort in MY_HOUSEHOLDS_SORTS:
        households = households.order_by(*MY_HOUSEHOLDS_SORTS[sort][1])
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(household, attention_flags(household, today)) for household in page.object_list]
    return render(
        request,
        "alerts/my_households.html",
        {
            "page": page, "rows": rows, "everyone": everyone, "today": today, "query": query,
            "sort": sort if sort in MY_HOUSEHOLDS_SORTS else "",
            "sorts": [(key, label) for key, (label, _) in MY_HOUSEHOLDS_SORTS.items()],
        },
    )  # fmt: skip


# « Mes ménages » sorted otherwise than the most urgent first: (label, ordering).
MY_HOUSEHOLDS_SORTS = {
    "nom": ("Nom", (F("head_last_name").asc(nulls_last=True), "head_first_name", "reference")),
    "reference": ("Référence", ("reference",)),
    "contact": ("Dernier contact, le plus ancien d’abord",
                (F("last_contact").asc(nulls_first=True), "reference")),
    "solde": ("Solde, le plus élevé d’abord", (F("balance").desc(nulls_last=True), "reference")),
}  # fmt: skip
