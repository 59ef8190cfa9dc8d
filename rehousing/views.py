"""The demand and the proposals of a household: social workers and heads."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from households.models import Household
from households.selectors import household_or_404
from iml.codes import FOLLOW_UP_MONTHS
from iml.forms import submit_form
from iml.permissions import ADMISSION_ROLES, SUPPORT_MANAGERS, member_required
from rehousing import lists, services
from rehousing.forms import DemandForm, FollowUpForm, MeasureForm, ProposalForm, SlidePlanForm
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal, SlidePlan
from rehousing.readiness import readiness
from support.models import Partner
from tenancy.models import SubleaseContract

FORM = "iml/form_page.html"


@member_required(SUPPORT_MANAGERS)
def demand_edit(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    demand = HousingDemand.objects.filter(household=obj).first()
    form = DemandForm(request.POST or None, instance=demand)
    url = obj.get_absolute_url() + "#relogement"
    return submit_form(
        request,
        form,
        lambda data: services.demand_save(household=obj, by=request.user, **data),
        "Demande de logement social enregistrée.",
        url,
        FORM,
        {
            "household": obj,
            "title": f"Demande de logement social — ménage {obj.heading}",
            "intro": "La demande vit un an à compter de son dépôt ou de son dernier "
            "renouvellement : une alerte prévient avant qu’elle ne soit radiée.",
            "cancel_url": url,
        },
    )


@member_required(SUPPORT_MANAGERS)
def proposal_create(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    form = ProposalForm(request.POST or None, instance=Proposal(household=obj))
    url = obj.get_absolute_url() + "#relogement"
    return submit_form(
        request,
        form,
        lambda data: services.proposal_save(proposal=form.instance, by=request.user),
        "Proposition de logement enregistrée.",
        url,
        FORM,
        {"household": obj, "title": f"Proposition de logement — ménage {obj.heading}",
         "cancel_url": url},
    )  # fmt: skip


@member_required(SUPPORT_MANAGERS)
def proposal_edit(request: HttpRequest, proposal: str) -> HttpResponse:
    obj = get_object_or_404(Proposal.objects.select_related("household"), public_id=proposal)
    form = ProposalForm(request.POST or None, instance=obj)
    url = obj.household.get_absolute_url() + "#relogement"
    return submit_form(
        request,
        form,
        lambda data: services.proposal_save(proposal=form.instance, by=request.user),
        lambda saved: (
            "Proposition acceptée : la sortie du ménage est pré-remplie."
            if saved.accepted else "Proposition mise à jour."
        ),
        url,
        FORM,
        {"household": obj.household, "title": f"Proposition : {obj}", "cancel_url": url},
    )  # fmt: skip


@member_required(SUPPORT_MANAGERS)
def overview(request: HttpRequest) -> HttpResponse:
    """The road out across the organisation (the head's list; social workers see it too)."""
    today = timezone.localdate()
    return render(request, "rehousing/overview.html", {"o": lists.overview(today), "today": today})


@member_required(SUPPORT_MANAGERS)
def readiness_page(request: HttpRequest, household: str) -> HttpResponse:
    """« Prêt à sortir ? »: the checklist the social worker and the head go through together."""
    obj = household_or_404(household)
    today = timezone.localdate()
    return render(
        request,
        "rehousing/readiness.html",
        {"household": obj, "checks": readiness(obj, today), "today": today},
    )


def _measure_page(request: HttpRequest, measure: Measure, title: str) -> HttpResponse:
    household = measure.household
    form = MeasureForm(request.POST or None, instance=measure)
    form.fields["partner"].queryset = Partner.objects.order_by("name")
    url = household.get_absolute_url() + "#relogement"
    return submit_form(
        request, form, lambda data: services.measure_save(measure=form.instance, by=request.user),
        "Mesure d’accompagnement enregistrée.", url, FORM,
        {"household": household, "title": title, "cancel_url": url},
    )  # fmt: skip


@member_required(SUPPORT_MANAGERS)
def measure_create(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    return _measure_page(request, Measure(household=obj), f"Mesure — ménage {obj.heading}")


@member_required(SUPPORT_MANAGERS)
def measure_edit(request: HttpRequest, measure: str) -> HttpResponse:
    obj = get_object_or_404(Measure.objects.select_related("household"), public_id=measure)
    return _measure_page(request, obj, f"Mesure {obj} — ménage {obj.household.reference}")


@member_required(SUPPORT_MANAGERS)
def follow_up(request: HttpRequest, household: str, months: str) -> HttpResponse:
    obj = household_or_404(household)
    if months not in {str(m) for m in FOLLOW_UP_MONTHS}:
        raise Http404("Les suivis après la sortie sont à 1, 3 et 6 mois.")
    return _follow_up(request, obj, int(months))


def _follow_up(request: HttpRequest, obj: Household, months: int) -> HttpResponse:
    existing = FollowUp.objects.filter(household=obj, months=months).first()
    initial = (
        {"contacted_on": existing.contacted_on, "housed": existing.housed,
         "debts": existing.debts, "needs": existing.needs}
        if existing else {"contacted_on": timezone.localdate()}
    )  # fmt: skip
    url = obj.get_absolute_url() + "#relogement"
    return submit_form(
        request, FollowUpForm(request.POST or None, initial=initial),
        lambda data: services.follow_up_record(household=obj, months=months, by=request.user,
                                               **data),
        f"Suivi à {months} mois enregistré.", url, FORM,
        {"household": obj, "title": f"Suivi à {months} mois de la sortie — ménage {obj.heading}",
         "cancel_url": url},
    )  # fmt: skip


@member_required(ADMISSION_ROLES)
def slide_plan_edit(request: HttpRequest, contract: str) -> HttpResponse:
    """« Glissement envisagé »: its steps, dated as they come (the régisseur gets the owner's
    consent, the social worker prepares the commission)."""
    obj = get_object_or_404(
        SubleaseContract.objects.select_related("household", "unit"), public_id=contract,
        towards_sliding_lease=True, room__isnull=True,
    )  # fmt: skip
    plan = SlidePlan.objects.filter(contract=obj).first()
    form = SlidePlanForm(
        request.POST or None,
        instance=plan or SlidePlan(contract=obj),
        initial=None if plan else {"considered_on": timezone.localdate()},
    )
    url = obj.get_absolute_url()
    return submit_form(
        request, form,
        lambda data: services.slide_plan_save(contract=obj, by=request.user, **data),
        "Glissement envisagé enregistré.", url, FORM,
        {"household": obj.household, "cancel_url": url,
         "title": f"Glissement envisagé — contrat {obj.reference}, ménage {obj.household.heading}",
         "intro": "Les étapes avant que le bail ne glisse au ménage : accord du propriétaire, "
         "commission d’attribution (parc social), convention tripartite, état des lieux, et une "
         "dette soldée ou un plan d’apurement tenu depuis trois mois."},
    )  # fmt: skip
