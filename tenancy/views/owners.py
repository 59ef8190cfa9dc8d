"""Screens of the tenancy app: the CAF's monthly batch and the owner side (landlords).

The CAF batch is the régisseur's (MONEY_RECORDERS); the owner statement is read by every
money viewer, and only money recorders record a payment to a landlord. Leases are loaded
through the organisation-scoped manager by their public identifier (another organisation's
gets a 404); the monthly screens take ``?mois=YYYY-MM`` (the current month by default).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from housing.models import MainLease
from iml.formats import euros
from iml.forms import add_service_error, submit_form
from iml.permissions import MONEY_RECORDERS, MONEY_VIEWERS, has_role, member_required
from tenancy import ledger, owners
from tenancy.forms.owners import CafBatchForm, LandlordPaymentForm, MonthForm

OWNER_PAGE_SIZE = 50


def _month_url(name: str, month, **kwargs) -> str:
    return f"{reverse(name, kwargs=kwargs or None)}?{urlencode({'mois': f'{month:%Y-%m}'})}"


@member_required(MONEY_RECORDERS)
def caf_batch(request: HttpRequest) -> HttpResponse:
    month_form = MonthForm.from_query(request.GET)
    month = month_form.month()
    batch = owners.caf_batch(month)
    form = CafBatchForm(request.POST or None, batch=batch)
    if request.method == "POST" and form.is_valid():
        received = form.received()
        try:
            ledger.caf_confirm(
                month=month, received=received, date=form.cleaned_data["date"], by=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            total = sum(received.values())
            messages.success(
                request,
                f"Versement CAF de {month:%m/%Y} enregistré : {len(received)} ménage"
                f"{'s' if len(received) > 1 else ''}, {euros(total)}.",
            )
            return redirect(_month_url("tenancy:caf_batch", month))
    return render(
        request,
        "tenancy/caf_batch.html",
        {
            "month_form": month_form,
            "month": month,
            "previous_month": ledger.month_start(month - datetime.timedelta(days=1)),
            "next_month": ledger.next_month(month),
            "batch": batch,
            "form": form,
        },
    )


@member_required(MONEY_VIEWERS)
def owner_statement(request: HttpRequest) -> HttpResponse:
    month_form = MonthForm.from_query(request.GET)
    month = month_form.month()
    leases = owners.owner_leases(month)
    page = Paginator(leases, OWNER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tenancy/owner_statement.html",
        {
            "month_form": month_form,
            "month": month,
            "previous_month": ledger.month_start(month - datetime.timedelta(days=1)),
            "next_month": ledger.next_month(month),
            "month_days": owners.month_days(month),
            "page": page,
            "totals": owners.owner_totals(leases),
            "can_record": has_role(request.membership, MONEY_RECORDERS),
        },
    )


@member_required(MONEY_RECORDERS)
def landlord_payment_create(request: HttpRequest, lease: str) -> HttpResponse:
    main_lease = get_object_or_404(
        MainLease.objects.select_related("unit", "landlord"), public_id=lease
    )
    month = MonthForm.from_query(request.GET).month()
    statement_url = _month_url("tenancy:owner_statement", month)
    form = LandlordPaymentForm(
        request.POST or None,
        initial={
            "period": month,
            "paid_on": timezone.localdate(),
            "amount": None,
        },
    )
    return submit_form(
        request,
        form,
        lambda data: owners.landlord_payment_record(lease=main_lease, by=request.user, **data),
        success=lambda payment: (
            f"Paiement de {euros(payment.amount)} à "
            f"{main_lease.landlord.name} enregistré pour {payment.period:%m/%Y}."
        ),
        redirect_to=lambda payment: _month_url("tenancy:owner_statement", payment.period),
        template="tenancy/owner_payment_form.html",
        context={
            "lease": main_lease,
            "payments": main_lease.payments.order_by("-period", "-paid_on", "-pk")[:12],
            "cancel_url": statement_url,
        },
    )


@member_required(MONEY_VIEWERS)
def owner_lease_year(request: HttpRequest, lease: str) -> HttpResponse:
    main_lease = get_object_or_404(
        MainLease.objects.select_related("unit", "landlord"), public_id=lease
    )
    today = timezone.localdate()
    try:
        year = int(request.GET.get("annee", today.year))
    except ValueError:
        year = today.year
    if not 2000 <= year <= 2100:
        year = today.year
    months = owners.lease_year(main_lease, year)
    running = [m.lease for m in months if m.lease is not None]
    totals = {
        key: sum((getattr(lease_month, key) for lease_month in running), 0)
        for key in ("owed", "paid", "called", "differential", "vacant_days")
    }
    totals["unpaid"] = totals["owed"] - totals["paid"]
    return render(
        request,
        "tenancy/owner_lease_year.html",
        {
            "lease": main_lease,
            "year": year,
            "months": months,
            "runs": bool(running),
            "totals": totals,
            "can_record": has_role(request.membership, MONEY_RECORDERS),
        },
    )
