"""The régisseur's reconciliation: the lines to confirm with their proposals (built for the
keyboard: Enter accepts the first proposal of the focused line, the next line then has the
focus), a line split across households or set aside, the suspense list, the month's summary.

Every action is a plain form post (the page works without script); ``static/js/reconcile.js``
only moves the focus between lines with the arrow keys.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from banking import matching, services
from banking.codes import LineStatus
from banking.forms_reconcile import LineSplitForm, SetAsideForm, SummaryForm, contract_choices
from banking.models import Allocation, BankAccount, BankLine, MatchProposal
from banking.rules import BANK_ROLES
from banking.summary import month_summary
from households.models import Person
from iml.codes import PersonRole
from iml.formats import euros
from iml.forms import submit_form
from iml.permissions import member_required
from tenancy.models import LedgerEntry
from tenancy.money import balance_subquery

PAGE_SIZE = 50


def _holder(field: str) -> Subquery:
    return Subquery(
        Person.objects.filter(household=OuterRef("contract__household"), role=PersonRole.REFERENT)
        .order_by("pk")
        .values(field)[:1]
    )


def _proposals() -> Prefetch:
    """Each line's proposals, best first, with the household's name and the contract's
    balance: one query for a page of lines."""
    proposals = (
        MatchProposal.objects.select_related("contract", "contract__household")
        .annotate(
            balance=balance_subquery("contract", ref="contract_id"),
            holder_last=_holder("last_name"),
            holder_first=_holder("first_name"),
        )
        .order_by("line", "rank")
    )
    return Prefetch("proposals", queryset=proposals)


def _lines(status: str) -> QuerySet[BankLine]:
    return (
        BankLine.objects.filter(status=status, amount__gt=0)
        .select_related("account")
        .order_by("booked_on", "pk")
    )


def _with_remainders(lines: list[BankLine]) -> list[BankLine]:
    """``allocated`` and ``remainder`` on a page of lines: one grouped query."""
    allocated = services.allocated_by_line(lines)
    for line in lines:
        line.allocated = allocated.get(line.pk, Decimal("0.00"))
        line.remainder = line.amount - line.allocated
    return lines


def _line_title(line: BankLine) -> str:
    return f"ligne du {line.booked_on:%d/%m/%Y} ({euros(line.amount)}, {line.label[:40]})"


@member_required(BANK_ROLES)
def reconcile(request: HttpRequest) -> HttpResponse:
    services.lines_follow_reversals()
    lines = _lines(LineStatus.PROPOSED).prefetch_related(_proposals())
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "banking/reconcile.html",
        {
            "page": page,
            "lines": _with_remainders(list(page.object_list)),
            "suspense_count": BankLine.objects.filter(
                status=LineStatus.SUSPENSE, amount__gt=0
            ).count(),
        },
    )


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


@require_POST
@member_required(BANK_ROLES)
def reconcile_accept(request: HttpRequest) -> HttpResponse:
    """Accept the first proposal of one line (its « Accepter » button, Enter), of the lines
    ticked (« Valider la sélection »), or one chosen proposal of a line."""
    back = reverse("banking:reconcile")
    page = request.POST.get("page", "")
    if page.isdigit():
        back += f"?page={page}"
    chosen = _uuids([request.POST.get("proposal", "")])
    if chosen:
        proposal = get_object_or_404(
            MatchProposal.objects.select_related("line", "contract"), public_id=chosen[0]
        )
        try:
            services.proposal_accept(proposal=proposal, by=request.user)
        except ValidationError as error:
            messages.error(request, f"{_line_title(proposal.line)} : {' '.join(error.messages)}")
        else:
            messages.success(request, f"Ligne rapprochée du contrat {proposal.contract}.")
        return redirect(back)
    one = _uuids([request.POST.get("one", "")])
    keys = one or _uuids(request.POST.getlist("lines"))
    if not keys:
        messages.info(request, "Aucune ligne choisie.")
        return redirect(back)
    lines = list(BankLine.objects.filter(public_id__in=keys).order_by("booked_on", "pk"))
    result = services.proposals_accept(lines=lines, by=request.user)
    if result.accepted:
        count = len(result.accepted)
        messages.success(request, f"{count} ligne{'s' if count > 1 else ''} rapprochée"
                                  f"{'s' if count > 1 else ''}.")  # fmt: skip
    if result.already:
        messages.info(request, f"{len(result.already)} ligne(s) déjà rapprochée(s) : rien "
                               "n’a été enregistré une seconde fois.")  # fmt: skip
    for line, reason in result.failed:
        messages.error(request, f"{_line_title(line)} non rapprochée : {reason}")
    return redirect(back)


def _line(public_id: uuid.UUID) -> BankLine:
    return get_object_or_404(
        BankLine.objects.select_related("account", "statement").prefetch_related(_proposals()),
        public_id=public_id,
    )


@member_required(BANK_ROLES)
def line_detail(request: HttpRequest, line: uuid.UUID) -> HttpResponse:
    """A line: what it became, its proposals, the split form (search a household, amounts),
    set aside or restore."""
    services.lines_follow_reversals()
    obj = _line(line)
    remainder = services.line_remainder(obj) if obj.amount > 0 else Decimal("0")
    search = request.GET.get("q", "")[:100]
    proposals = list(obj.proposals.all())
    initial = {}
    if proposals and remainder > 0:
        initial = {
            "contract_1": proposals[0].contract.public_id,
            "kind_1": proposals[0].kind,
            "amount_1": min(proposals[0].amount, remainder),
        }
    form = LineSplitForm(request.POST or None, initial=initial,
                         contracts=contract_choices(search), remainder=remainder)  # fmt: skip
    allocations = (
        Allocation.objects.filter(line=obj)
        .select_related("entry", "entry__contract", "entry__contract__household")
        .annotate(reversed_on=Subquery(
            LedgerEntry.objects.filter(reverses=OuterRef("entry")).values("date")[:1]
        ))
        .order_by("created_at", "pk")
    )  # fmt: skip
    url = reverse("banking:line", args=[obj.public_id])
    return submit_form(
        request,
        form,
        lambda data: services.line_confirm(line=obj, parts=data["parts"], by=request.user),
        lambda entries: f"{len(entries)} écriture(s) enregistrée(s) depuis la ligne.",
        # Fully matched: back to the lines to confirm; part left: the line again.
        lambda _: reverse("banking:reconcile") if services.line_remainder(obj) <= 0 else url,
        "banking/line.html",
        {
            "line": obj,
            "remainder": remainder,
            "proposals": proposals,
            "allocations": allocations,
            "search": search,
            "set_aside_form": SetAsideForm(),
        },
    )


@member_required(BANK_ROLES)
def line_set_aside(request: HttpRequest, line: uuid.UUID) -> HttpResponse:
    obj = _line(line)
    url = reverse("banking:line", args=[obj.public_id])
    return submit_form(
        request,
        SetAsideForm(request.POST or None),
        lambda data: services.line_set_aside(line=obj, note=data["note"], by=request.user),
        "Ligne écartée.",
        reverse("banking:reconcile"),
        "banking/line_set_aside.html",
        {"line": obj, "cancel_url": url},
    )


@require_POST
@member_required(BANK_ROLES)
def line_restore(request: HttpRequest, line: uuid.UUID) -> HttpResponse:
    obj = _line(line)
    try:
        services.line_restore(line=obj, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Ligne rétablie : elle est de nouveau à rapprocher.")
    return redirect("banking:line", line=obj.public_id)


@member_required(BANK_ROLES)
def suspense(request: HttpRequest) -> HttpResponse:
    services.lines_follow_reversals()
    page = Paginator(_lines(LineStatus.SUSPENSE), PAGE_SIZE).get_page(request.GET.get("page"))
    lines = _with_remainders(list(page.object_list))
    return render(request, "banking/suspense.html", {"page": page, "lines": lines})


@require_POST
@member_required(BANK_ROLES)
def suspense_rematch(request: HttpRequest) -> HttpResponse:
    """Look again for the lines in suspense (a household admitted since, a name corrected)."""
    lines = list(BankLine.objects.filter(status=LineStatus.SUSPENSE, amount__gt=0))
    counts = matching.match_lines(lines, by=request.user)
    messages.success(
        request,
        f"Lignes en attente : {counts.matched} rapprochée(s), {counts.proposed} proposée(s), "
        f"{counts.suspense} toujours en attente.",
    )
    return redirect("banking:suspense")


@member_required(BANK_ROLES)
def summary(request: HttpRequest) -> HttpResponse:
    services.lines_follow_reversals()
    accounts = list(BankAccount.objects.order_by("label", "pk"))
    data = request.GET if "compte" in request.GET else None
    initial = {"mois": f"{timezone.localdate():%Y-%m}"}
    if accounts:
        initial["compte"] = accounts[0].public_id
    form = SummaryForm(data, initial=initial)
    result = None
    if data is None and accounts:
        result = month_summary(accounts[0], timezone.localdate())
    elif data is not None and form.is_valid():
        result = month_summary(form.cleaned_data["compte"], form.cleaned_data["mois"])
    return render(
        request,
        "banking/summary.html",
        {"form": form, "summary": result, "accounts": accounts},
    )


urlpatterns = [
    path("rapprochement/", reconcile, name="reconcile"),
    path("rapprochement/accepter/", reconcile_accept, name="reconcile_accept"),
    path("lignes/<uuid:line>/", line_detail, name="line"),
    path("lignes/<uuid:line>/ecarter/", line_set_aside, name="line_set_aside"),
    path("lignes/<uuid:line>/retablir/", line_restore, name="line_restore"),
    path("en-attente/", suspense, name="suspense"),
    path("en-attente/relancer/", suspense_rematch, name="suspense_rematch"),
    path("synthese/", summary, name="summary"),
]
