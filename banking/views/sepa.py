"""Direct-debit pages (régisseur and head): mandates, the month's runs and their pain.008
file, rejections typed in or read from a camt.054 notice.

Objects are loaded through the organisation-scoped managers by their public identifier:
another organisation's gets a 404. Lists show an account's IBAN masked but its last four
characters.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from banking import sepa
from banking.forms_sepa import (
    DebitRejectForm,
    MandateCreateForm,
    MandateForm,
    MandateRevokeForm,
    NoticeForm,
    RunForm,
)
from banking.mandates import MandateData, default_reference, mandate_revoke, mandate_save, mask_iban
from banking.models import Debit, DebitRun, Mandate
from banking.rules import BANK_ROLES
from households.models import Household
from households.selectors import with_reference_person
from iml.formats import euros
from iml.forms import submit_form
from iml.models import Organisation
from iml.permissions import member_required
from iml.scoping import get_current_organisation_id
from tenancy.models import SubleaseContract

PAGE_SIZE = 50
MANDATE_FORM = "banking/mandate_form.html"


def _data(cleaned: dict) -> MandateData:
    return MandateData(
        reference=cleaned["reference"], debtor_name=cleaned["debtor_name"],
        iban=cleaned["iban"], bic=cleaned.get("bic", ""), signed_on=cleaned["signed_on"],
        debit_day=cleaned["debit_day"], paper=cleaned.get("paper"),
    )  # fmt: skip


# --- Mandates -----------------------------------------------------------------------------------


@member_required(BANK_ROLES)
def mandate_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("etat", "")
    mandates = Mandate.objects.select_related("household").order_by("household__reference", "-pk")
    if show != "tous":
        mandates = mandates.filter(revoked_on__isnull=True)
    page = Paginator(mandates, PAGE_SIZE).get_page(request.GET.get("page"))
    for mandate in page.object_list:
        mandate.masked_iban = mask_iban(mandate.iban)
    return render(request, "banking/mandate_list.html", {"page": page, "show": show})


def _household_choices():
    """Households under a running contract without an active mandate."""
    running = SubleaseContract.objects.covering(timezone.localdate()).filter(
        cancelled_at__isnull=True
    )
    return with_reference_person(
        Household.objects.filter(pk__in=running.values("household_id"), anonymised_at__isnull=True)
        .exclude(pk__in=Mandate.objects.filter(revoked_on__isnull=True).values("household_id"))
        .order_by("reference")
    )


@member_required(BANK_ROLES)
def mandate_create(request: HttpRequest) -> HttpResponse:
    public_id = request.GET.get("menage", "")
    if not public_id:
        # Choose the household first: the form proposes its reference, name and papers.
        return render(
            request, "banking/mandate_choose.html", {"households": _household_choices()[:500]}
        )
    try:
        household = get_object_or_404(
            with_reference_person(Household.objects.all()), public_id=public_id
        )
    except ValidationError:
        raise Http404 from None
    initial = {}
    if request.method != "POST":
        organisation = Organisation.objects.get(pk=get_current_organisation_id())
        name = " ".join(
            part for part in (household.head_last_name, household.head_first_name) if part
        )
        initial = {
            "reference": default_reference(household, organisation),
            "debtor_name": name.upper(),
            "signed_on": timezone.localdate(),
            "debit_day": 5,
        }
    form = MandateCreateForm(
        request.POST or None, initial=initial, household=household, membership=request.membership
    )
    return submit_form(
        request,
        form,
        lambda data: mandate_save(household=household, data=_data(data), by=request.user),
        lambda mandate: f"Mandat {mandate.reference} enregistré.",
        lambda mandate: reverse("banking:mandate_detail", args=[mandate.public_id]),
        MANDATE_FORM,
        {"title": f"Nouveau mandat de prélèvement — ménage {household.heading}",
         "household": household, "cancel_url": reverse("banking:mandate_list")},
    )  # fmt: skip


@member_required(BANK_ROLES)
def mandate_detail(request: HttpRequest, mandate: str) -> HttpResponse:
    obj = get_object_or_404(Mandate.objects.select_related("household", "paper"), public_id=mandate)
    debits = obj.debits.select_related("run").order_by("-collection_on", "-pk")[:24]
    context = {"mandate": obj, "debits": debits, "household": obj.household,
               "cancel_url": reverse("banking:mandate_list"),
               "title": f"Mandat {obj.reference} — ménage {obj.household.heading}"}  # fmt: skip
    if obj.revoked_on is not None:
        return render(request, "banking/mandate_detail.html", context)
    initial = {
        "reference": obj.reference, "debtor_name": obj.debtor_name, "iban": obj.iban,
        "bic": obj.bic, "signed_on": obj.signed_on, "debit_day": obj.debit_day,
        "paper": obj.paper,
    }  # fmt: skip
    form = MandateForm(
        request.POST or None, initial=initial, household=obj.household,
        membership=request.membership,
    )  # fmt: skip
    context["revoke_form"] = MandateRevokeForm(initial={"revoked_on": timezone.localdate()})
    return submit_form(
        request,
        form,
        lambda data: mandate_save(
            household=obj.household, data=_data(data), by=request.user, mandate=obj
        ),
        lambda mandate: f"Mandat {mandate.reference} modifié.",
        lambda mandate: reverse("banking:mandate_detail", args=[mandate.public_id]),
        "banking/mandate_detail.html",
        context,
    )


@member_required(BANK_ROLES)
def mandate_revoke_view(request: HttpRequest, mandate: str) -> HttpResponse:
    obj = get_object_or_404(Mandate.objects.select_related("household"), public_id=mandate)
    url = reverse("banking:mandate_detail", args=[obj.public_id])
    form = MandateRevokeForm(request.POST or None, initial={"revoked_on": timezone.localdate()})
    return submit_form(
        request,
        form,
        lambda data: mandate_revoke(mandate=obj, on=data["revoked_on"], by=request.user),
        lambda mandate: f"Mandat {mandate.reference} révoqué : il ne sera plus prélevé.",
        url,
        "banking/mandate_revoke.html",
        {"mandate": obj, "cancel_url": url},
    )


# --- Runs ---------------------------------------------------------------------------------------


def _created_message(run: DebitRun) -> str:
    debits = list(run.debits.select_related("mandate"))
    total = sum(d.amount for d in debits)
    text = (
        f"Prélèvements de {run.month:%m/%Y} préparés : {len(debits)} prélèvement(s), "
        f"{euros(total)}. Téléchargez le fichier et déposez-le sur le site de la banque."
    )
    late = [d for d in debits if d.collection_on.day != d.mandate.debit_day]
    if late:
        day = min(d.collection_on for d in late)
        text += (
            f" Attention : pour {len(late)} ménage(s), le jour choisi était déjà passé ; ils "
            f"seront prélevés le {day:%d/%m/%Y}."
        )
    return text


@member_required(BANK_ROLES)
def run_list(request: HttpRequest) -> HttpResponse:
    runs = (
        DebitRun.objects.select_related("account")
        .annotate(
            debit_count=Count("debits"),
            total=Sum("debits__amount"),
            rejected=Count("debits", filter=Q(debits__rejected_on__isnull=False)),
            collected=Count("debits", filter=Q(debits__entry__isnull=False)),
        )
        .order_by("-month", "-pk")
    )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    form = RunForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: sepa.run_create(account=data["account"], month=data["month"], by=request.user),
        _created_message,
        lambda run: reverse("banking:run_detail", args=[run.public_id]),
        "banking/sepa_runs.html",
        {"page": page, "notice_url": reverse("banking:notice_import")},
    )


def _state(debit: Debit) -> str:
    if debit.rejected_on is not None:
        reason = sepa.rejection_text(debit.rejection_reason).removeprefix("Prélèvement ")
        return f"{reason.capitalize()} le {debit.rejected_on:%d/%m/%Y}"
    if debit.entry_id is not None:
        return f"encaissé le {debit.entry.date:%d/%m/%Y}"
    return "à encaisser"


@member_required(BANK_ROLES)
def run_detail(request: HttpRequest, run: str) -> HttpResponse:
    obj = get_object_or_404(DebitRun.objects.select_related("account"), public_id=run)
    debits = list(
        obj.debits.select_related("mandate", "contract__household", "entry").order_by(
            "collection_on", "contract__household__reference", "pk"
        )
    )
    dates: dict = {}
    for debit in debits:
        debit.state = _state(debit)
        debit.late = debit.collection_on.day != debit.mandate.debit_day
        debit.masked_iban = mask_iban(debit.mandate.iban)
        day = dates.setdefault(debit.collection_on, {"count": 0, "total": 0})
        day["count"] += 1
        day["total"] += debit.amount
    return render(
        request,
        "banking/sepa_run.html",
        {
            "run": obj,
            "debits": debits,
            "dates": sorted(dates.items()),
            "total": sum(d.amount for d in debits),
            "file_name": sepa.file_name(obj),
        },
    )


@member_required(BANK_ROLES)
def run_file(request: HttpRequest, run: str) -> HttpResponse:
    obj = get_object_or_404(DebitRun.objects.select_related("account"), public_id=run)
    response = HttpResponse(obj.xml.encode(), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sepa.file_name(obj)}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Rejections ---------------------------------------------------------------------------------


@member_required(BANK_ROLES)
def debit_reject_view(request: HttpRequest, debit: str) -> HttpResponse:
    obj = get_object_or_404(
        Debit.objects.select_related("run", "mandate", "contract__household"), public_id=debit
    )
    url = reverse("banking:run_detail", args=[obj.run.public_id])
    form = DebitRejectForm(request.POST or None, initial={"date": timezone.localdate()})
    return submit_form(
        request,
        form,
        lambda data: sepa.debit_reject(
            debit=obj, date=data["date"], reason=data["reason"], by=request.user
        ),
        lambda done: (
            f"Rejet du prélèvement de {euros(done.amount)} enregistré "
            f"(ménage {done.contract.household.reference})."
        ),
        url,
        "banking/sepa_reject.html",
        {"debit": obj, "cancel_url": url},
    )


@member_required(BANK_ROLES)
def notice_import(request: HttpRequest) -> HttpResponse:
    """« Importer un avis de rejet (camt.054) »: every rejection of the notice, or none."""
    form = NoticeForm(request.POST or None, request.FILES or None)
    url = reverse("banking:run_list")

    def apply(data: dict) -> sepa.RejectionsResult:
        rejections = sepa.rejections_from_notice(data["file"].read())
        return sepa.rejections_apply(rejections=rejections, by=request.user)

    return submit_form(
        request,
        form,
        apply,
        lambda result: (
            f"Avis de rejet importé : {result.applied} rejet(s) enregistré(s)"
            + (f", {result.already} déjà connu(s)." if result.already else ".")
        ),
        url,
        "banking/sepa_notice.html",
        {"cancel_url": url},
    )


urlpatterns: list[URLPattern] = [
    path("mandats/", mandate_list, name="mandate_list"),
    path("mandats/nouveau/", mandate_create, name="mandate_create"),
    path("mandats/<uuid:mandate>/", mandate_detail, name="mandate_detail"),
    path("mandats/<uuid:mandate>/revoquer/", mandate_revoke_view, name="mandate_revoke"),
    path("prelevements/", run_list, name="run_list"),
    path("prelevements/avis-de-rejet/", notice_import, name="notice_import"),
    path("prelevements/<uuid:run>/", run_detail, name="run_detail"),
    path("prelevements/<uuid:run>/fichier.xml", run_file, name="run_file"),
    path("prelevements/debits/<uuid:debit>/rejet/", debit_reject_view, name="debit_reject"),
]
