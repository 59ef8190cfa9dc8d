"""Screens of the tenancy app: documents (PDF).

Every document is read through the organisation-scoped managers by public identifier (another
organisation's object: 404) and downloaded as an attachment. Documents naming a household are
recorded in the access log as exports of its data. Money viewers (social workers included)
read them; the cash journal is the régisseurs' and heads' (money recorders).
"""

from __future__ import annotations

import datetime

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from iml.access_log import record_access
from iml.codes import LedgerKind
from iml.downloads import attachment
from iml.models import AccessAction
from iml.permissions import MONEY_RECORDERS, MONEY_VIEWERS, member_required
from tenancy import documents
from tenancy.models import Amendment, LedgerEntry, SubleaseContract

CONTRACT_RELATED = documents.CONTRACT_RELATED
ENTRY_RELATED = tuple(f"contract__{name}" for name in CONTRACT_RELATED)


class BadParameter(ValueError):
    """A query-string parameter the document cannot use (answered 400, in French)."""


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    attachment(response, filename, extension="pdf")
    return response


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _log_export(request: HttpRequest, obj, object_type: str, household) -> None:
    record_access(request, object_type=object_type, object_id=obj.public_id,
                  household_id=household.public_id, action=AccessAction.EXPORT)  # fmt: skip


def _contract(public_id) -> SubleaseContract:
    return get_object_or_404(
        SubleaseContract.objects.select_related(*CONTRACT_RELATED), public_id=public_id
    )


def _entry(public_id, kind: str, *related: str) -> LedgerEntry:
    return get_object_or_404(
        LedgerEntry.objects.select_related(*ENTRY_RELATED, *related),
        public_id=public_id,
        kind=kind,
    )


def _day(value: str | None, default: datetime.date, name: str) -> datetime.date:
    """A date of the query string: ``2025-03-31`` (or ``31/03/2025``); absent: ``default``."""
    if value in (None, ""):
        return default
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise BadParameter(f"Date « {name} » invalide : indiquez-la sous la forme AAAA-MM-JJ.")


def _month(value: str | None) -> datetime.date:
    if not value:
        raise BadParameter("Indiquez le mois de la quittance : ?mois=AAAA-MM.")
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise BadParameter(
            f"Mois « {value} » invalide : indiquez-le sous la forme AAAA-MM (ex. 2025-03)."
        ) from None


# --- Views ----------------------------------------------------------------------------------


@member_required(MONEY_VIEWERS)
def contract_pdf(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    _log_export(request, obj, "subleasecontract", obj.household)
    return _pdf(documents.contract_pdf(obj), f"contrat-sous-location-{obj.reference}")


@member_required(MONEY_VIEWERS)
def amendment_pdf(request: HttpRequest, amendment: str) -> HttpResponse:
    obj = get_object_or_404(
        Amendment.objects.select_related(*(f"contract__{n}" for n in CONTRACT_RELATED)),
        public_id=amendment,
    )
    _log_export(request, obj, "amendment", obj.contract.household)
    return _pdf(
        documents.amendment_pdf(obj), f"avenant-{obj.number}-contrat-{obj.contract.reference}"
    )


@member_required(MONEY_VIEWERS)
def rent_call_pdf(request: HttpRequest, entry: str) -> HttpResponse:
    call = _entry(entry, LedgerKind.APPEL)
    _log_export(request, call, "ledgerentry", call.contract.household)
    return _pdf(
        documents.rent_call_pdf(call),
        f"avis-echeance-{call.contract.reference}-{call.period:%Y-%m}",
    )


@member_required(MONEY_VIEWERS)
def receipt_pdf(request: HttpRequest, entry: str) -> HttpResponse:
    payment = _entry(entry, LedgerKind.PAIEMENT, "created_by")
    _log_export(request, payment, "ledgerentry", payment.contract.household)
    return _pdf(documents.receipt_pdf(payment), f"recu-paiement-{payment.number}")


@member_required(MONEY_VIEWERS)
def quittance_pdf(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    try:
        month = _month(request.GET.get("mois"))
    except BadParameter as error:
        return _bad_request(str(error))
    call = documents.month_call(obj, month)
    if call is None:
        raise Http404("Aucun appel de loyer pour ce mois.")
    _log_export(request, obj, "subleasecontract", obj.household)
    content, settlement = documents.quittance_pdf(obj, call, timezone.localdate())
    name = "quittance-loyer" if settlement.fully_paid else "recu-partiel-loyer"
    return _pdf(content, f"{name}-{obj.reference}-{month:%Y-%m}")


@member_required(MONEY_VIEWERS)
def statement_pdf(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    today = timezone.localdate()
    try:
        start = _day(request.GET.get("du"), obj.start_date, "du")
        end = _day(request.GET.get("au"), today, "au")
    except BadParameter as error:
        return _bad_request(str(error))
    if start > end:
        return _bad_request("La date de début (du) doit précéder la date de fin (au).")
    _log_export(request, obj, "subleasecontract", obj.household)
    return _pdf(
        documents.statement_pdf(obj, start, end),
        f"releve-compte-{obj.reference}-{start:%Y%m%d}-{end:%Y%m%d}",
    )


@member_required(MONEY_RECORDERS)
def cash_journal_pdf(request: HttpRequest) -> HttpResponse:
    # Receipt numbers and household references only: no personal data to log.
    try:
        day = _day(request.GET.get("date"), timezone.localdate(), "date")
    except BadParameter as error:
        return _bad_request(str(error))
    return _pdf(
        documents.cash_journal_pdf(request.organisation, day), f"journal-de-caisse-{day:%Y-%m-%d}"
    )
