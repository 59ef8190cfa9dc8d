"""Banking pages: the organisation's bank accounts, and the statements imported into them.

An uploaded statement is only stored by the request; a worker imports it
(``banking.tasks.run_statement_import``) while the page polls its progress. A CSV of an
account whose columns are not known yet asks for them first: the file waits in the cache
(an hour at most) between the two posts.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse

from banking import importing
from banking.codes import ImportStatus, StatementFormat
from banking.forms_statements import (
    BankAccountCreateForm,
    BankAccountForm,
    CsvMappingForm,
    StatementUploadForm,
)
from banking.models import BankAccount, BankLine, BankStatement
from banking.parsers import detect
from banking.parsers.csv import guess_mapping
from banking.rules import BANK_ROLES
from iml.forms import submit_form
from iml.permissions import member_required
from iml.scoping import get_current_organisation_id

PAGE_SIZE = 25
LINES_PAGE_SIZE = 50
UPLOAD_TTL = 3600
UPLOAD_EXPIRED = (
    "Le fichier déposé n’est plus disponible (une heure au plus) : déposez-le à nouveau."
)


def _statements():
    # The file of a running import is never loaded by a page.
    return BankStatement.objects.defer("content").select_related("account", "imported_by")


def _statement(public_id) -> BankStatement:
    """The statement, failed first if no worker answered it for too long."""
    statement = get_object_or_404(_statements(), public_id=public_id)
    if statement.status == ImportStatus.RUNNING and importing.fail_stale_statements(
        statement=statement
    ):
        statement = get_object_or_404(_statements(), public_id=public_id)
    return statement


# --- Accounts -----------------------------------------------------------------------------------


@member_required(BANK_ROLES)
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = BankAccount.objects.annotate(
        statement_count=Count("statements", distinct=True),
        last_import=Max("statements__created_at"),
    ).order_by("label", "pk")
    return render(request, "banking/account_list.html", {"accounts": accounts})


@member_required(BANK_ROLES)
def account_create(request: HttpRequest) -> HttpResponse:
    form = BankAccountCreateForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: importing.account_save(account=form.instance),
        lambda account: f"Compte « {account.label} » enregistré.",
        reverse("banking:account_list"),
        "banking/account_form.html",
        {"title": "Nouveau compte bancaire"},
    )


@member_required(BANK_ROLES)
def account_edit(request: HttpRequest, account: uuid.UUID) -> HttpResponse:
    obj = get_object_or_404(BankAccount, public_id=account)
    form = BankAccountForm(request.POST or None, instance=obj)
    return submit_form(
        request,
        form,
        lambda data: importing.account_save(
            account=form.instance, forget_csv_mapping=bool(data.get("forget_csv_mapping"))
        ),
        lambda saved: f"Compte « {saved.label} » enregistré.",
        reverse("banking:account_list"),
        "banking/account_form.html",
        {"title": f"Compte « {obj.label} »", "account": obj},
    )


# --- Statements ---------------------------------------------------------------------------------


@member_required(BANK_ROLES)
def statement_list(request: HttpRequest) -> HttpResponse:
    importing.fail_stale_statements()
    accounts = list(BankAccount.objects.order_by("label", "pk"))
    statements = _statements()
    chosen = None
    wanted = request.GET.get("compte", "")
    if wanted:
        chosen = next((a for a in accounts if str(a.public_id) == wanted), None)
        statements = statements.filter(account=chosen) if chosen else statements.none()
    page = Paginator(statements, PAGE_SIZE).get_page(request.GET.get("page"))
    for statement in page.object_list:
        statement.shown_progress = importing.current_progress(statement)
    return render(
        request,
        "banking/statement_list.html",
        {"page": page, "accounts": accounts, "chosen": chosen, "statuses": ImportStatus},
    )


def _upload_key(token) -> str:
    return f"banking:upload:{get_current_organisation_id()}:{token}"


@member_required(BANK_ROLES)
def statement_upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "token" in request.POST:
        return _mapping_step(request)
    initial = {}
    wanted = request.GET.get("compte", "")
    if wanted:
        initial["account"] = BankAccount.objects.filter(public_id__in=_uuids(wanted)).first()
    form = StatementUploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            fmt = form.cleaned_data["format"] or detect(data)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if fmt == StatementFormat.CSV and not account.csv_mapping:
                token = uuid.uuid4()
                cache.set(
                    _upload_key(token),
                    {"data": data, "file_name": upload.name, "account": account.pk},
                    UPLOAD_TTL,
                )
                mapping_form = CsvMappingForm(initial={"token": token, **guess_mapping(data)})
                return _render_mapping(request, mapping_form, account, upload.name)
            statement = importing.statement_enqueue(
                account=account, file_name=upload.name, data=data, by=request.user, fmt=fmt
            )
            messages.success(request, f"Relevé « {statement.file_name} » reçu : import en cours.")
            return redirect("banking:statement_detail", statement=statement.public_id)
    return render(request, "banking/statement_upload.html", {"form": form})


def _uuids(value: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value)]
    except ValueError:
        return []


def _render_mapping(request, form, account, file_name) -> HttpResponse:
    return render(
        request,
        "banking/statement_mapping.html",
        {"form": form, "account": account, "file_name": file_name},
    )


def _mapping_step(request: HttpRequest) -> HttpResponse:
    """The CSV's columns given: the waiting file goes to the worker with them."""
    form = CsvMappingForm(request.POST)
    token = form.data.get("token", "")
    payload = cache.get(_upload_key(token)) if _uuids(token) else None
    account = (
        BankAccount.objects.filter(pk=payload["account"]).first() if payload is not None else None
    )
    if payload is None or account is None:
        messages.error(request, UPLOAD_EXPIRED)
        return redirect("banking:statement_upload")
    if not form.is_valid():
        return _render_mapping(request, form, account, payload["file_name"])
    statement = importing.statement_enqueue(
        account=account,
        file_name=payload["file_name"],
        data=payload["data"],
        by=request.user,
        fmt=StatementFormat.CSV,
        mapping=form.mapping(),
    )
    cache.delete(_upload_key(token))
    messages.success(request, f"Relevé « {statement.file_name} » reçu : import en cours.")
    return redirect("banking:statement_detail", statement=statement.public_id)


@member_required(BANK_ROLES)
def statement_detail(request: HttpRequest, statement: uuid.UUID) -> HttpResponse:
    obj = _statement(statement)
    lines = BankLine.objects.filter(statement=obj).order_by("booked_on", "pk")
    page = Paginator(lines, LINES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "banking/statement_detail.html",
        {
            "statement": obj,
            "page": page,
            "progress": importing.current_progress(obj),
            "statuses": ImportStatus,
        },
    )


@member_required(BANK_ROLES)
def statement_progress(request: HttpRequest, statement: uuid.UUID) -> HttpResponse:
    """The progress fragment, polled while the import runs."""
    obj = _statement(statement)
    response = render(
        request,
        "banking/statement_progress.html",
        {"statement": obj, "progress": importing.current_progress(obj), "statuses": ImportStatus},
    )
    done = obj.status != ImportStatus.RUNNING
    if request.headers.get("HX-Request") and done and request.GET.get("liste") != "1":
        response["HX-Refresh"] = "true"  # done: reload the page (its lines)
    return response


urlpatterns: list[URLPattern] = [
    path("", statement_list, name="statement_list"),
    path("comptes/", account_list, name="account_list"),
    path("comptes/nouveau/", account_create, name="account_create"),
    path("comptes/<uuid:account>/", account_edit, name="account_edit"),
    path("releves/importer/", statement_upload, name="statement_upload"),
    path("releves/<uuid:statement>/", statement_detail, name="statement_detail"),
    path("releves/<uuid:statement>/avancement/", statement_progress, name="statement_progress"),
]
