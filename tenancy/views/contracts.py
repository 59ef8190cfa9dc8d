"""Screens of contracts and their accounts: the contract list and page, a household's account,
fast payment entry, the day's cash journal, other entries and reversals, renewals, the sliding
lease, repayment plans.

Régisseurs and heads record money (MONEY_RECORDERS); social workers read balances, ledgers and
plans (MONEY_VIEWERS). Objects are loaded through the scoped managers by public identifier.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from households.models import Household, Person
from households.selectors import household_for_page, search
from households.stays import current_end
from iml.access_log import record_access
from iml.codes import LedgerKind, PersonRole, RepaymentPlanStatus
from iml.formats import euros
from iml.forms import add_service_error, submit_form
from iml.fragments import deferred
from iml.listing import Column, Listing
from iml.permissions import (
    ADMISSION_ROLES,
    MONEY_RECORDERS,
    MONEY_VIEWERS,
    has_role,
    member_required,
)
from iml.submissions import REPLAYED, run_once
from tenancy import ledger, money, plans, services
from tenancy.forms.contracts import (
    ChargeForm,
    EntryKind,
    JournalDayForm,
    PaymentForm,
    PlanBreakForm,
    PlanForm,
    RenewalForm,
    ReversalForm,
    SlideForm,
    TermsCorrectionForm,
)
from tenancy.models import LedgerEntry, RepaymentPlan, SubleaseContract
from tenancy.money import balance_subquery, contract_balance, household_balance
from tenancy.selectors import contract_panels

PAGE_SIZE = 25
LEDGER_PAGE_SIZE = 50
FORM_PAGE = "iml/form_page.html"


def _contract(public_id: str) -> SubleaseContract:
    return get_object_or_404(
        SubleaseContract.objects.select_related("household", "unit", "room", "unit__dispositif"),
        public_id=public_id,
    )


def contracts_for_list():
    """Contracts with their balance, current end and household's reference person."""
    return (
        SubleaseContract.objects.select_related("household", "unit", "room")
        .with_current_end()
        .annotate(
            balance=balance_subquery("contract"),
            head_last_name=_person("last_name"),
            head_first_name=_person("first_name"),
        )
        .order_by("actual_end_date", "household__reference")
    )


def _person(field: str) -> Subquery:
    return Subquery(
        Person.objects.filter(household=OuterRef("household_id"), role=PersonRole.REFERENT).values(
            field
        )[:1]
    )


CONTRACT_COLUMNS = [
    Column("contrat", "Contrat", lambda c: c.reference, ("reference",)),
    Column("menage", "Ménage",
           lambda c: " ".join(filter(None, [c.household.reference, c.head_last_name,
                                            c.head_first_name])),
           (F("head_last_name"), F("head_first_name"), "household__reference")),
    Column("logement", "Logement",
           lambda c: c.unit.reference + (f" — {c.room.label}" if c.room else ""),
           ("unit__reference",)),
    Column("debut", "Début", lambda c: c.start_date, (F("start_date"),)),
    Column("fin", "Fin du terme", lambda c: c.current_end, (F("current_end"),)),
    Column("loyer", "Loyer + charges", lambda c: c.rent + c.charges, (F("rent") + F("charges"),),
           numeric=True),
    Column("solde", "Solde", lambda c: c.balance, (F("balance"),), numeric=True),
]  # fmt: skip


@member_required(MONEY_VIEWERS)
def contract_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("etat", "en_cours")
    contracts = contracts_for_list()
    if state == "en_cours":
        contracts = contracts.filter(actual_end_date__isnull=True)
    elif state == "termines":
        contracts = contracts.filter(actual_end_date__isnull=False)
    debt_only, owing_only = bool(request.GET.get("dette")), bool(request.GET.get("debiteur"))
    if debt_only:
        # The "in debt" rule of the alerts and the dashboard (the dispositif's thresholds).
        in_debt = money.in_debt_contracts().filter(in_debt=True).values("pk")
        contracts = contracts.filter(pk__in=in_debt)
    if owing_only:
        # Every contract of the households whose balance is above zero: their balances add
        # up to the dashboard's « Impayés ».
        contracts = contracts.filter(
            household__in=money.owing_households().values("contract__household")
        )
    text = request.GET.get("q", "").strip()
    if text:
        contracts = contracts.filter(
            Q(reference__icontains=text) | Q(household__in=search(Household.objects.all(), text))
        )
    if debt_only or owing_only:
        contracts = contracts.order_by("-balance", "household__reference")
    listing = Listing(request, CONTRACT_COLUMNS, name="contrats")
    contracts = listing.order(contracts)
    if (download := listing.export(lambda: contracts)) is not None:
        return download
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    total = contracts.aggregate(total=Sum("balance"))["total"] if owing_only else None
    return render(
        request,
        "tenancy/contract_list.html",
        {
            "page": page,
            "state": state,
            "q": text,
            "debt_only": debt_only,
            "owing_only": owing_only,
            "owing_total": total,
            "listing": listing,
        },
    )


def ledger_lines(entries):
    """Entries with their running balance (over the whole account, whatever the page shown)
    and whether a later entry cancelled them, newest first."""
    return (
        entries.select_related("created_by", "reverses", "contract")
        .annotate(
            running=Window(
                Sum(F("debit") - F("credit")), order_by=[F("date").asc(), F("pk").asc()]
            ),
            is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))),
        )
        .order_by("-date", "-pk")
    )


@member_required(MONEY_VIEWERS)
def contract_detail(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    record_access(request, object_type="contract", object_id=obj.public_id,
                  household_id=obj.household.public_id)  # fmt: skip
    entries = ledger_lines(LedgerEntry.objects.filter(contract=obj))
    page = Paginator(entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    amendments = list(obj.amendments.order_by("number"))
    can_record = has_role(request.membership, MONEY_RECORDERS)
    return render(
        request,
        "tenancy/contract_detail.html",
        {
            "contract": obj,
            "page": page,
            "balance": contract_balance(obj),
            "amendments": amendments,
            "current_end": amendments[-1].new_end_date if amendments else obj.initial_end_date,
            "plans": obj.plans.order_by("-signed_on"),
            "inventories": {i.kind: i for i in obj.inventories.all()},
            "can_record": can_record,
            "can_renew": has_role(request.membership, ADMISSION_ROLES),
            "running": obj.actual_end_date is None,
            "panels": contract_panels(contract=obj, membership=request.membership),
        },
    )


@member_required(MONEY_VIEWERS)
def household_account(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_for_page(household)
    record_access(request, object_type="account", object_id=obj.public_id,
                  household_id=obj.public_id)  # fmt: skip
    return render(
        request,
        "tenancy/household_account.html",
        {
            "household": obj,
            # Built and read only when the account's block is not in the cache
            # (``iml.fragments``).
            "contracts": deferred(
                lambda: obj.contracts.select_related("unit", "room").order_by("-start_date")
            ),
            "page": deferred(
                lambda: Paginator(
                    ledger_lines(LedgerEntry.objects.filter(contract__household=obj)),
                    LEDGER_PAGE_SIZE,
                ).get_page(request.GET.get("page"))
            ),
            "balance": deferred(household_balance, obj),
        },
    )


# --- Payments -------------------------------------------------------------------------------


def payable_contracts(text: str):
    """Contracts whose household matches ``text`` (name, reference) or whose reference does:
    running ones first."""
    households = search(Household.objects.all(), text)
    return (
        contracts_for_list()
        .filter(cancelled_at__isnull=True)
        .filter(Q(household__in=households) | Q(reference__iexact=text.strip()))
        .order_by(F("actual_end_date").desc(nulls_first=True), "household__reference")
    )


@member_required(MONEY_RECORDERS)
def payment_entry(request: HttpRequest) -> HttpResponse:
    """Built for the counter: search, pick with the keyboard, amount, Enter. The receipt
    number is given by the service; the page comes back ready for the next payment."""
    text = request.GET.get("q", "").strip()
    results = payable_contracts(text)[:10] if text else []
    chosen = None
    if request.GET.get("contrat"):
        chosen = _contract(_uuid_or_none(request.GET["contrat"]))
    if request.htmx and not chosen:
        return render(
            request, "tenancy/includes/payment_results.html", {"results": results, "q": text}
        )
    form = None
    if chosen is not None:
        form = PaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            key = data.pop("submission_key")
            try:
                outcome = run_once(
                    key=key,
                    action=lambda: ledger.payment_record(contract=chosen, by=request.user, **data),
                    url_of=_after_payment,
                )
            except ValidationError as error:
                if ledger.NEEDS_CONFIRMATION in _codes(error):
                    form.ask_confirmation()
                add_service_error(form, error)
            else:
                if outcome.replayed:
                    messages.info(request, REPLAYED)
                else:
                    entry = outcome.result
                    messages.success(
                        request,
                        f"Paiement de {euros(entry.credit)} enregistré pour "
                        f"{chosen.household.reference} — reçu n° {entry.number}.",
                    )
                return redirect(outcome.url)
    last = None
    if request.GET.get("recu"):
        last = (
            LedgerEntry.objects.filter(
                public_id=_uuid_or_none(request.GET["recu"]), kind=LedgerKind.PAIEMENT
            )
            .select_related("contract__household")
            .first()
        )
    return render(
        request,
        "tenancy/payment_entry.html",
        {
            "q": text,
            "results": results,
            "chosen": chosen,
            "form": form,
            "balance": contract_balance(chosen) if chosen else None,
            "last": last,
        },
    )


def _after_payment(entry: LedgerEntry) -> str:
    """The payment page again, ready for the next one, with this receipt on top."""
    return f"{reverse('tenancy:payment_entry')}?recu={entry.public_id}"


def _codes(error: ValidationError) -> set[str | None]:
    errors = error.error_list if hasattr(error, "error_list") else []
    return {e.code for e in errors}


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@member_required(MONEY_RECORDERS)
def cash_journal(request: HttpRequest) -> HttpResponse:
    form = JournalDayForm(request.GET or None)
    day = (form.is_valid() and form.cleaned_data["date"]) or timezone.localdate()
    day_takings = money.takings(day)
    return render(
        request,
        "tenancy/cash_journal.html",
        {
            "form": form,
            "day": day,
            "lines": day_takings.entries,
            "by_method": day_takings.methods,
            "total": day_takings.total,
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "today": timezone.localdate(),
        },
    )


# --- Other entries and reversals ------------------------------------------------------------


@member_required(MONEY_RECORDERS)
def charge_create(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    form = ChargeForm(request.POST or None)

    def record(data):
        kind = data["kind"]
        if kind == EntryKind.AIDE:
            return ledger.aid_record(contract=obj, date=data["date"], amount=data["amount"],
                                     note=data["note"], reference=data["reference"],
                                     by=request.user)  # fmt: skip
        return ledger.charge_record(
            contract=obj,
            date=data["date"],
            kind=ChargeForm.KIND_OF[kind],
            amount=data["amount"],
            note=data["note"],
            credit=kind == EntryKind.REGULARISATION_CREDIT,
            by=request.user,
        )

    return submit_form(
        request,
        form,
        record,
        "Écriture enregistrée.",
        obj.get_absolute_url(),
        FORM_PAGE,
        {
            "title": f"Autre écriture — contrat {obj.reference}",
            "intro": "Aides versées pour le ménage, régularisations de charges, dégradations. "
            "Les paiements du ménage se saisissent à l’encaissement.",
            "cancel_url": obj.get_absolute_url(),
        },
    )


@member_required(MONEY_RECORDERS)
def entry_reverse(request: HttpRequest, entry: str) -> HttpResponse:
    obj = get_object_or_404(LedgerEntry.objects.select_related("contract"), public_id=entry)
    form = ReversalForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: ledger.entry_reverse(entry=obj, by=request.user, **data),
        f"Écriture du {obj.date:%d/%m/%Y} annulée.",
        obj.contract.get_absolute_url(),
        FORM_PAGE,
        {
            "title": f"Annuler : {obj.get_kind_display()} du {obj.date:%d/%m/%Y} "
            f"({euros(obj.amount)})",
            "intro": "Le compte ne s’efface jamais : une écriture inverse annule celle-ci, et "
            "les deux restent visibles.",
            "submit_label": "Annuler l’écriture",
            "cancel_url": obj.contract.get_absolute_url(),
        },
    )


@member_required(MONEY_RECORDERS)
def contract_terms(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    form = TermsCorrectionForm(
        request.POST or None,
        initial={
            "rent": obj.rent,
            "charges": obj.charges,
            "expected_housing_benefit": obj.expected_housing_benefit,
        },
    )
    return submit_form(
        request,
        form,
        lambda data: services.contract_terms_correct(contract=obj, by=request.user, **data),
        lambda changes: (
            f"Loyer corrigé : {changes.reversed} appel(s) annulé(s), "
            f"{changes.issued} appel(s) émis aux nouveaux montants."
        ),
        obj.get_absolute_url(),
        FORM_PAGE,
        {
            "title": f"Corriger le loyer — contrat {obj.reference}",
            "intro": "Pour un montant mal saisi à l’entrée : le contrat prend les nouveaux "
            "montants depuis son début, et chaque mois déjà appelé est annulé puis appelé à "
            "nouveau (le compte garde les deux écritures).",
            "submit_label": "Corriger et appeler à nouveau",
            "cancel_url": obj.get_absolute_url(),
        },
    )


# --- Renewals and the sliding lease ---------------------------------------------------------


@member_required(ADMISSION_ROLES)
def contract_renew(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    form = RenewalForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: services.contract_renew(contract=obj, by=request.user, **data),
        lambda amendment: (
            f"Avenant {amendment.number} enregistré : fin au {amendment.new_end_date:%d/%m/%Y}."
        ),
        obj.get_absolute_url(),
        FORM_PAGE,
        {
            "title": f"Renouveler le contrat {obj.reference}",
            "intro": f"Fin actuelle : {current_end(obj):%d/%m/%Y}. Entrée du ménage : "
            f"{(obj.household.entry_date or obj.start_date):%d/%m/%Y}. Au-delà de 18 mois de "
            "séjour, l’avenant doit être justifié.",
            "cancel_url": obj.get_absolute_url(),
        },
    )


@member_required(ADMISSION_ROLES)
def contract_slide(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    form = SlideForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: services.contract_slide(
            contract=obj, slide_date=data["slide_date"], by=request.user
        ),
        "Bail glissé : le ménage est sorti du dispositif, locataire en titre de son logement.",
        obj.household.get_absolute_url(),
        FORM_PAGE,
        {
            "title": f"Glissement du bail — {obj.unit.reference}",
            "intro": "Le contrat de sous-location prend fin, le ménage sort avec un bail "
            "glissant et le logement sort du parc (motif « bail glissé au ménage »).",
            "submit_label": "Faire glisser le bail",
            "cancel_url": obj.get_absolute_url(),
        },
    )


# --- Repayment plans ------------------------------------------------------------------------


@member_required(MONEY_VIEWERS)
def plan_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", RepaymentPlanStatus.ACTIF)
    plan_rows = RepaymentPlan.objects.select_related("contract__household").annotate(
        balance=balance_subquery("contract", ref="contract_id"),
    )
    if status in RepaymentPlanStatus.values:
        plan_rows = plan_rows.filter(status=status)
    listing = Listing(request, PLAN_COLUMNS, name="plans d’apurement")
    plan_rows = listing.order(plan_rows.order_by("-signed_on", "-pk"))
    if (download := listing.export(lambda: plan_rows)) is not None:
        return download
    page = Paginator(plan_rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tenancy/plan_list.html",
        {
            "page": page, "status": status, "statuses": RepaymentPlanStatus.choices,
            "listing": listing,
        },
    )  # fmt: skip


PLAN_COLUMNS = [
    Column("menage", "Ménage", lambda p: p.contract.household.reference,
           ("contract__household__reference",)),
    Column("contrat", "Contrat", lambda p: p.contract.reference, ("contract__reference",)),
    Column("signature", "Signé le", lambda p: p.signed_on, (F("signed_on"),)),
    Column("dette", "Dette", lambda p: p.debt, (F("debt"),), numeric=True),
    Column("mensualite", "Mensualité", lambda p: p.instalment, (F("instalment"),), numeric=True),
    Column("solde", "Solde actuel", lambda p: p.balance, (F("balance"),), numeric=True),
    Column("etat", "État", lambda p: p.get_status_display(), ("status",)),
]  # fmt: skip


@member_required(MONEY_RECORDERS)
def plan_create(request: HttpRequest, contract: str) -> HttpResponse:
    obj = _contract(contract)
    today = timezone.localdate()
    form = PlanForm(
        request.POST or None,
        initial={"first_due_date": ledger.next_month(today).replace(day=10)},
    )
    return submit_form(
        request,
        form,
        lambda data: plans.plan_create(contract=obj, by=request.user, **data),
        lambda plan: f"Plan d’apurement signé : {plan.instalments.count()} mensualités.",
        lambda plan: reverse("tenancy:plan_detail", args=[plan.public_id]),
        FORM_PAGE,
        {
            "title": f"Plan d’apurement — contrat {obj.reference}",
            "intro": f"Dette à ce jour : {euros(contract_balance(obj))}. La dette retenue est le "
            "solde à la date de signature ; chaque mois le ménage paie son loyer résiduel et la "
            "mensualité.",
            "cancel_url": obj.get_absolute_url(),
        },
    )


@member_required(MONEY_VIEWERS)
def plan_detail(request: HttpRequest, plan: str) -> HttpResponse:
    obj = get_object_or_404(
        RepaymentPlan.objects.select_related("contract__household", "contract__unit"),
        public_id=plan,
    )
    return render(
        request,
        "tenancy/plan_detail.html",
        {
            "plan": obj,
            "schedule": plans.plan_schedule(obj),
            "balance": contract_balance(obj.contract),
            "can_record": has_role(request.membership, MONEY_RECORDERS),
            "active": obj.status == RepaymentPlanStatus.ACTIF,
        },
    )


@member_required(MONEY_RECORDERS)
def plan_break(request: HttpRequest, plan: str) -> HttpResponse:
    obj = get_object_or_404(RepaymentPlan.objects.select_related("contract"), public_id=plan)
    form = PlanBreakForm(request.POST or None)
    return submit_form(
        request,
        form,
        lambda data: plans.plan_break(plan=obj, by=request.user, **data),
        "Plan marqué comme rompu.",
        reverse("tenancy:plan_detail", args=[obj.public_id]),
        FORM_PAGE,
        {
            "title": "Rompre le plan d’apurement",
            "intro": "Le plan n’est plus respecté. Un nouveau plan pourra être signé.",
            "submit_label": "Marquer comme rompu",
            "cancel_url": reverse("tenancy:plan_detail", args=[obj.public_id]),
        },
    )
