"""The CAF's bulk payment (régisseur and head): the CAF's lines awaiting their detail and the
details imported, the import of a detail for a line, the notice page (each row checked, the
tiers-payant households missing, the totals) and its confirmation, and the form that stores a
household's allocataire number from a row. Objects are loaded through the organisation-scoped
managers by public identifier: another organisation's are a 404."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from banking import caf
from banking.codes import CafRowStatus
from banking.forms_caf import AllocataireForm, CafDetailForm
from banking.models import BankLine, CafNotice, CafNoticeRow
from banking.rules import BANK_ROLES
from iml.formats import euros
from iml.forms import submit_form
from iml.permissions import member_required

PAGE_SIZE = 30
AWAITING_SHOWN = 20


@member_required(BANK_ROLES)
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = CafNotice.objects.select_related("line", "imported_by").order_by("-month", "-pk")
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "banking/caf_list.html",
        {"page": page, "awaiting": list(caf.awaiting_lines()[:AWAITING_SHOWN])},
    )


@member_required(BANK_ROLES)
def detail_import(request: HttpRequest, caf_line: str) -> HttpResponse:
    line = get_object_or_404(BankLine.objects.select_related("account"), public_id=caf_line)
    notice = CafNotice.objects.filter(line=line).first()
    if notice is not None and notice.confirmed_at is not None:
        messages.info(request, "Le détail de ce versement est déjà confirmé.")
        return redirect("banking:caf_notice", notice=notice.public_id)
    form = CafDetailForm(request.POST or None, request.FILES or None)

    def action(data: dict) -> CafNotice:
        upload = data["file"]
        return caf.notice_import(
            line=line, file_name=upload.name or "detail.csv", data=upload.read(), by=request.user
        )

    return submit_form(
        request,
        form,
        action,
        success=lambda n: f"Détail de la CAF importé : {n.rows.count()} ligne(s) à vérifier.",
        redirect_to=_url,
        template="banking/caf_import.html",
        context={"line": line, "notice": notice},
    )


def _url(notice: CafNotice) -> str:
    return reverse("banking:caf_notice", kwargs={"notice": notice.public_id})


def _notice(notice: str) -> CafNotice:
    return get_object_or_404(
        CafNotice.objects.select_related("line__account", "imported_by"), public_id=notice
    )


@member_required(BANK_ROLES)
def notice_detail(request: HttpRequest, notice: str) -> HttpResponse:
    caf_notice = _notice(notice)
    rows = caf.notice_rows(caf_notice)
    return render(
        request,
        "banking/caf_notice.html",
        {
            "notice": caf_notice,
            "rows": rows,
            "missing": caf.notice_missing(caf_notice),
            "totals": caf.notice_totals(rows, caf_notice),
            "statuses": CafRowStatus,
        },
    )


@require_POST
@member_required(BANK_ROLES)
def notice_confirm(request: HttpRequest, notice: str) -> HttpResponse:
    caf_notice = _notice(notice)
    if caf_notice.confirmed_at is not None:
        messages.info(request, "Ce détail est déjà confirmé : rien n’a été écrit une seconde fois.")
        return redirect(_url(caf_notice))
    try:
        entries = caf.notice_confirm(caf_notice, request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if entries:
            total = sum((entry.credit for entry in entries), Decimal("0.00"))
            messages.success(
                request,
                f"Versement CAF réparti : {len(entries)} écriture(s) d’aide au logement, "
                f"{euros(total)}.",
            )
        else:
            messages.info(request, "Ce détail est déjà confirmé : rien n’a été écrit.")
    return redirect(_url(caf_notice))


@member_required(BANK_ROLES)
def row_allocataire(request: HttpRequest, notice: str, row: str) -> HttpResponse:
    caf_notice = _notice(notice)
    notice_row = get_object_or_404(
        CafNoticeRow.objects.select_related("household"), notice=caf_notice, public_id=row
    )
    form = AllocataireForm(
        request.POST or None,
        candidates=caf.row_candidates(notice_row),
        initial={"household": notice_row.household},
    )
    return submit_form(
        request,
        form,
        lambda data: caf.allocataire_record(
            row=notice_row, household=data["household"], by=request.user
        ),
        success=f"N° d’allocataire {notice_row.allocataire} enregistré sur le ménage.",
        redirect_to=_url(caf_notice),
        template="banking/caf_allocataire.html",
        context={"notice": caf_notice, "row": notice_row},
    )


urlpatterns: list[URLPattern] = [
    path("caf/", notice_list, name="caf_list"),
    path("caf/<uuid:caf_line>/detail/", detail_import, name="caf_import"),
    path("caf/<uuid:notice>/", notice_detail, name="caf_notice"),
    path("caf/<uuid:notice>/confirmer/", notice_confirm, name="caf_confirm"),
    path(
        "caf/<uuid:notice>/lignes/<uuid:row>/allocataire/",
        row_allocataire,
        name="caf_allocataire",
    ),
]
