"""SEPA direct debit: the month's run (a pain.008 file for the bank), its collection and its
rejections.

A run writes nothing into the ledgers: the money is not in yet. When the bank credits the
collection (one line per collection date, or per batch of the file), each debit of it becomes
the household's payment, with the bank line as its source (``claim_line``). A rejection
(a returned debit on the statement, a camt.054 notice or typed in) reverses that payment; a
rejection that arrives before the collection was matched only marks the debit, which the
collection then leaves out.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml import ElementTree as SafeET
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from sepaxml import SepaDD
from sepaxml import validation as sepa_validation

from banking import parsers
from banking.codes import LineStatus, RejectionReason
from banking.models import Allocation, BankAccount, BankLine, Debit, DebitRun, Mandate
from banking.rules import normalise
from iml.codes import PaymentMethod
from iml.models import Organisation, User
from tenancy import ledger
from tenancy.amounts import month_start, next_month
from tenancy.models import SubleaseContract
from tenancy.money import residual_rent

SCHEMA = "pain.008.001.02"
NAMESPACE = f"{{urn:iso:std:iso:20022:tech:xsd:{SCHEMA}}}"
ZERO = Decimal("0.00")
DAY = datetime.timedelta(days=1)
# A file reaches the debtor's bank at least one business day before the collection (SEPA
# CORE, D-1): a day already passed, or today, is moved to tomorrow.
LEAD = DAY
# How far a remittance line's date may be from its collection date when only its amount
# names it.
BEFORE, AFTER = datetime.timedelta(days=3), datetime.timedelta(days=10)
# A remittance of direct debits in a bank's label (« REMISE PRLV SEPA », « REM PRELEVEMENTS »).
_REMITTANCE = re.compile(r"\b(PRLV|PRELEVEMENTS?|SDD)\b")
# The end-to-end ids this module gives (``_end_to_end_id``), found in a label.
_OUR_E2E = re.compile(r"PRLV-\d{6}-[0-9A-F]{20}")


def rejection_text(code: str) -> str:
    """« Prélèvement rejeté : provision insuffisante (AM04) », the reversal's reason."""
    if not code:
        return "Prélèvement rejeté (motif non communiqué)"
    if code in RejectionReason.values:
        return f"Prélèvement rejeté : {RejectionReason(code).label} ({code})"
    return f"Prélèvement rejeté : motif {code}"


# --- The month's run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDebit:
    mandate: Mandate
    contract: SubleaseContract
    amount: Decimal
    chosen_on: datetime.date  # the household's day in the month
    collection_on: datetime.date  # when the bank debits it
    sequence: str  # FRST (the mandate's first debit) or RCUR

    @property
    def late(self) -> bool:
        """The household's day has passed: debited on the first day still possible."""
        return self.collection_on != self.chosen_on


def earliest_collection(today: datetime.date) -> datetime.date:
    return today + LEAD


def run_plan(*, month: datetime.date, today: datetime.date | None = None) -> list[PlannedDebit]:
    """The debits of ``month``: each active mandate of a household whose contract covers its
    chosen day, for the month's residual rent (nothing when it is zero). A mandate already
    debited this month (from another account) is left out."""
    month = month_start(month)
    today = today or timezone.localdate()
    earliest = earliest_collection(today)
    already = Debit.objects.filter(run__month=month).values("mandate_id")
    mandates = list(
        Mandate.objects.filter(revoked_on__isnull=True, household__anonymised_at__isnull=True)
        .exclude(pk__in=already)
        .order_by("debit_day", "reference", "pk")
    )
    if not mandates:
        return []
    debited_before = set(
        Debit.objects.filter(mandate__in=mandates, rejected_on__isnull=True).values_list(
            "mandate_id", flat=True
        )
    )
    contracts: dict[int, list[SubleaseContract]] = {}
    for contract in SubleaseContract.objects.filter(
        household__in=[m.household_id for m in mandates],
        cancelled_at__isnull=True,
        start_date__lt=next_month(month),
    ).order_by("-start_date", "pk"):
        contracts.setdefault(contract.household_id, []).append(contract)
    plan = []
    for mandate in mandates:
        chosen = month.replace(day=mandate.debit_day)
        contract = next(
            (c for c in contracts.get(mandate.household_id, []) if c.covers(chosen)), None
        )
        if contract is None:
            continue
        amount = residual_rent(contract)
        if amount <= 0:
            continue
        plan.append(
            PlannedDebit(
                mandate=mandate,
                contract=contract,
                amount=amount,
                chosen_on=chosen,
                collection_on=max(chosen, earliest),
                sequence="RCUR" if mandate.pk in debited_before else "FRST",
            )
        )
    return plan


def _end_to_end_id(mandate: Mandate, month: datetime.date) -> str:
    """``PRLV-202603-<20 hex>``: one per mandate and month (a mandate is debited once a
    month), 32 characters."""
    return f"PRLV-{month:%Y%m}-{mandate.public_id.hex[:20].upper()}"


def _pain008(
    *,
    organisation: Organisation,
    account: BankAccount,
    message_id: str,
    planned: list[PlannedDebit],
    month: datetime.date,
) -> str:
    config = {
        "name": organisation.name,
        "IBAN": account.iban,
        "BIC": account.bic,
        "batch": True,
        "creditor_id": account.creditor_id.strip(),
        "currency": "EUR",
        "instrument": "CORE",
    }
    document = SepaDD(config, schema=SCHEMA, clean=True)
    # Our own message id (sepaxml draws one): the bank's remittance line may quote it.
    document._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId").text = message_id
    for item in planned:
        payment = {
            "name": item.mandate.debtor_name,
            "IBAN": item.mandate.iban,
            "amount": int(item.amount * 100),
            "type": item.sequence,
            "collection_date": item.collection_on,
            "mandate_id": item.mandate.reference,
            "mandate_date": item.mandate.signed_on,
            "description": f"Loyer {month:%m/%Y} contrat {item.contract.reference}",
            "endtoend_id": _end_to_end_id(item.mandate, month),
        }
        if item.mandate.bic:
            payment["BIC"] = item.mandate.bic
        document.add_payment(payment)
    try:
        return document.export(validate=True).decode()
    except sepa_validation.ValidationError as error:
        raise ValidationError(
            f"Le fichier de prélèvements n’est pas conforme au schéma {SCHEMA} : "
            f"{error.__cause__ or error}"
        ) from None


@transaction.atomic
def run_create(
    *,
    account: BankAccount,
    month: datetime.date,
    by: User | None,
    today: datetime.date | None = None,
) -> DebitRun:
    """The month's debits of ``account`` and their pain.008 file, validated against its XSD.
    Once per account and month; nothing is written into the ledgers."""
    month = month_start(month)
    today = today or timezone.localdate()
    account = BankAccount.objects.select_for_update().get(pk=account.pk)
    if not account.creditor_id.strip():
        raise ValidationError(
            f"Renseignez l’identifiant créancier SEPA (ICS) du compte « {account.label} » avant "
            "d’émettre des prélèvements."
        )
    if not account.bic:
        raise ValidationError(f"Renseignez le BIC du compte « {account.label} ».")
    if month < month_start(today):
        raise ValidationError(
            f"Le mois {month:%m/%Y} est passé : les prélèvements se préparent pour le mois en "
            "cours ou un mois à venir."
        )
    if DebitRun.objects.filter(account=account, month=month).exists():
        raise ValidationError(
            f"Les prélèvements de {month:%m/%Y} sont déjà émis sur ce compte : téléchargez le "
            "fichier depuis la remise existante."
        )
    # Runs of two accounts prepared at once would both take a household's mandate: the
    # active mandates are locked until this one is written.
    list(Mandate.objects.select_for_update().filter(revoked_on__isnull=True).values_list("pk"))
    planned = run_plan(month=month, today=today)
    if not planned:
        raise ValidationError(
            f"Aucun prélèvement à émettre pour {month:%m/%Y} : aucun mandat en cours d’un "
            "ménage sous contrat avec un reste à payer."
        )
    organisation = Organisation.objects.get(pk=account.organisation_id)
    message_id = f"IML-{month:%Y%m}-{uuid.uuid4().hex[:16].upper()}"
    xml = _pain008(
        organisation=organisation, account=account, message_id=message_id, planned=planned,
        month=month,
    )  # fmt: skip
    run = DebitRun.objects.create(
        account=account, month=month, message_id=message_id, xml=xml, created_by=by
    )
    Debit.objects.bulk_create(
        Debit(
            organisation_id=account.organisation_id,
            run=run,
            mandate=item.mandate,
            contract=item.contract,
            amount=item.amount,
            collection_on=item.collection_on,
            end_to_end_id=_end_to_end_id(item.mandate, month),
        )
        for item in planned
    )
    return run


def file_name(run: DebitRun) -> str:
    return f"prelevements-{run.month:%Y-%m}-{run.account.iban[-4:]}.xml"


@dataclass(frozen=True)
class Batch:
    """One ``PmtInf`` of a run's file: a sequence type and a collection date."""

    payment_id: str
    sequence: str
    collection_on: datetime.date
    end_to_end_ids: tuple[str, ...]
    total: Decimal


def run_batches(run: DebitRun) -> list[Batch]:
    """The batches of the file as sent (their ids are drawn by sepaxml)."""
    root = SafeET.fromstring(run.xml.encode())
    batches = []
    for info in root.iter(f"{NAMESPACE}PmtInf"):
        batches.append(
            Batch(
                payment_id=info.findtext(f"{NAMESPACE}PmtInfId", ""),
                sequence=info.findtext(f"{NAMESPACE}PmtTpInf/{NAMESPACE}SeqTp", ""),
                collection_on=datetime.date.fromisoformat(
                    info.findtext(f"{NAMESPACE}ReqdColltnDt", "")
                ),
                end_to_end_ids=tuple(e2e.text or "" for e2e in info.iter(f"{NAMESPACE}EndToEndId")),
                total=Decimal(info.findtext(f"{NAMESPACE}CtrlSum", "0")),
            )
        )
    return batches


# --- Collections -------------------------------------------------------------------------------


@dataclass
class _Group:
    """Debits the bank may credit as one line: a batch, a collection date, a whole run."""

    identifiers: list[str]
    collection_on: datetime.date
    debits: list[Debit] = field(default_factory=list)

    @property
    def pending(self) -> list[Debit]:
        return [d for d in self.debits if d.entry_id is None and d.rejected_on is None]

    @property
    def totals(self) -> set[Decimal]:
        """The gross total (as sent) and the total without the debits already rejected."""
        return {
            sum((d.amount for d in self.debits), ZERO),
            sum((d.amount for d in self.debits if d.rejected_on is None), ZERO),
        }


def _pending_groups(account_id: int) -> tuple[list[_Group], list[_Group]]:
    """Groups of the runs of the account that still have a debit to collect: by batch and by
    collection date (named by the line's amount or a batch id), and whole runs (by message id)."""
    runs = DebitRun.objects.filter(
        account_id=account_id,
        debits__entry__isnull=True,
        debits__rejected_on__isnull=True,
    ).distinct()
    debits = Debit.objects.filter(run__in=runs).select_related("run").order_by("pk")
    by_run: dict[int, list[Debit]] = {}
    for debit in debits:
        by_run.setdefault(debit.run_id, []).append(debit)
    parts, wholes = [], []
    for run_debits in by_run.values():
        run = run_debits[0].run
        by_e2e = {d.end_to_end_id: d for d in run_debits}
        by_date: dict[datetime.date, _Group] = {}
        for batch in run_batches(run):
            parts.append(
                _Group(
                    [batch.payment_id],
                    batch.collection_on,
                    [by_e2e[e] for e in batch.end_to_end_ids if e in by_e2e],
                )
            )
            day = by_date.setdefault(batch.collection_on, _Group([], batch.collection_on))
            day.identifiers.append(batch.payment_id)
            day.debits.extend(by_e2e[e] for e in batch.end_to_end_ids if e in by_e2e)
        parts.extend(by_date.values())
        wholes.append(_Group([run.message_id], min(by_date) if by_date else run.month, run_debits))
    return (
        [g for g in parts if g.pending],
        [g for g in wholes if g.pending],
    )


def _names(text: str, identifier: str) -> bool:
    return bool(identifier) and normalise(identifier) in text


def _near(booked_on: datetime.date, collection_on: datetime.date) -> bool:
    return collection_on - BEFORE <= booked_on <= collection_on + AFTER


def _collection_of(line: BankLine) -> _Group | None:
    parts, wholes = _pending_groups(line.account_id)
    text = normalise(f"{line.reference} {line.label}")
    # A batch or run id quoted by the bank leaves no doubt.
    for group in parts + wholes:
        if any(_names(text, identifier) for identifier in group.identifiers):
            return group
    remittance = bool(_REMITTANCE.search(normalise(line.label)))
    fits = [
        group
        for group in parts
        if line.amount in group.totals
        and (remittance or _near(line.booked_on, group.collection_on))
    ]
    if not fits:
        return None

    def distance(group: _Group) -> int:
        return abs((line.booked_on - group.collection_on).days)

    fits.sort(key=distance)
    best = fits[0]
    same_distance = [
        g
        for g in fits
        if distance(g) == distance(best)
        and {d.pk for d in g.pending} != {d.pk for d in best.pending}
    ]
    # Two collections of the same amount the same distance away: the régisseur chooses.
    return None if same_distance else best


def _collect(group: _Group, line: BankLine, by: User | None) -> None:
    """Each debit still to collect becomes the household's payment, dated the line's day."""
    debits = list(
        Debit.objects.select_for_update(of=("self",))
        .filter(pk__in=[d.pk for d in group.pending], entry__isnull=True, rejected_on__isnull=True)
        .select_related("contract")
        .order_by("pk")
    )
    for debit in debits:
        entry = ledger.payment_record(
            contract=debit.contract,
            date=line.booked_on,
            amount=debit.amount,
            method=PaymentMethod.PRELEVEMENT,
            by=by,  # type: ignore[arg-type]  # None when the command line imports
            reference=debit.end_to_end_id,
            confirmed=True,
        )
        Allocation.objects.create(line=line, entry=entry, created_by=by)
        debit.entry = entry
        debit.save(update_fields=["entry"])
    _matched(line, f"Remise de {len(debits)} prélèvement(s) du {group.collection_on:%d/%m/%Y}")


def _matched(line: BankLine, note: str) -> None:
    line.status = LineStatus.MATCHED
    line.note = note[:300]
    line.save(update_fields=["status", "note"])


def claim_line(line: BankLine, by: User | None) -> bool:
    """A debit run's collection or a returned debit (``banking.rules.LINE_CLAIMS``): written
    at once, a reference or the run's amount leaving no doubt. A collection the ledger
    refuses (a contract cancelled since) is left to the régisseur: nothing is written."""
    try:
        with transaction.atomic():
            line = BankLine.objects.select_for_update().get(pk=line.pk)
            if line.status == LineStatus.MATCHED:
                return False
            if line.amount > 0:
                group = _collection_of(line)
                if group is None:
                    return False
                _collect(group, line, by)
                return True
            debit = _returned_debit(line)
            if debit is None:
                return False
            debit_reject(
                debit=debit, date=line.booked_on, reason=line.return_reason, by=by, line=line
            )
            return True
    except ValidationError:
        return False


# --- Rejections --------------------------------------------------------------------------------


def _returned_debit(line: BankLine) -> Debit | None:
    """The debit a returned line names by its end-to-end id (its reference, else its label)."""
    references = [line.reference.strip()] if line.reference.strip() else []
    references += _OUR_E2E.findall(line.label.upper())
    if not references:
        return None
    return (
        Debit.objects.filter(end_to_end_id__in=references, run__account_id=line.account_id)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def debit_reject(
    *,
    debit: Debit,
    date: datetime.date,
    reason: str,
    by: User | None,
    line: BankLine | None = None,
) -> Debit:
    """The debtor's bank returned the debit: its payment (if the collection was matched) is
    reversed, « Prélèvement rejeté : provision insuffisante (AM04) ». ``line``: the returned
    debit on the statement, then the source of the reversal."""
    debit = (
        Debit.objects.select_for_update(of=("self",))
        .select_related("run", "entry", "mandate", "contract__household")
        .get(pk=debit.pk)
    )
    reason = (reason or "").strip().upper()
    if reason and not re.fullmatch(r"[A-Z0-9]{4}", reason):
        raise ValidationError({"reason": "Motif invalide : un code SEPA de 4 caractères (AM04…)."})
    if date is None:
        raise ValidationError({"date": "Indiquez la date du rejet."})
    if date > timezone.localdate():
        raise ValidationError({"date": "La date ne peut pas être dans le futur."})
    issued = timezone.localdate(debit.run.created_at)
    if date < issued:
        raise ValidationError(
            {
                "date": "Le rejet ne peut pas précéder l’émission du prélèvement "
                f"({issued:%d/%m/%Y})."
            }
        )
    if debit.rejected_on is not None:
        if line is None:
            raise ValidationError(
                f"Ce prélèvement est déjà rejeté (le {debit.rejected_on:%d/%m/%Y})."
            )
        # The statement's line of a rejection already typed in: it is that rejection.
        if debit.reversal_id and not Allocation.objects.filter(entry_id=debit.reversal_id).exists():
            Allocation.objects.create(line=line, entry_id=debit.reversal_id, created_by=by)
        _matched(line, f"Rejet du prélèvement {debit.end_to_end_id} (déjà enregistré)")
        return debit
    reversal = None
    if debit.entry is not None:
        reversal = ledger.entry_reverse(
            entry=debit.entry,
            date=max(date, debit.entry.date),
            reason=rejection_text(reason),
            by=by,  # type: ignore[arg-type]  # None when the command line imports
        )
    debit.rejected_on = date
    debit.rejection_reason = reason
    debit.reversal = reversal
    debit.save(update_fields=["rejected_on", "rejection_reason", "reversal"])
    if line is not None:
        if reversal is not None:
            Allocation.objects.create(line=line, entry=reversal, created_by=by)
        _matched(line, f"Rejet du prélèvement {debit.end_to_end_id}")
    return debit


@dataclass(frozen=True)
class Rejection:
    """A returned debit as a notice gives it (camt.054): its end-to-end id, date, reason."""

    end_to_end_id: str
    date: datetime.date
    reason: str


@dataclass(frozen=True)
class RejectionsResult:
    applied: int
    already: int


@transaction.atomic
def rejections_apply(*, rejections: Iterable[Rejection], by: User | None) -> RejectionsResult:
    """Apply a notice's rejections by end-to-end id: all of them or, when one names no debit
    of the organisation, none (every unknown reference in the message). A debit already
    rejected is counted, not rejected twice (the same notice imported again)."""
    rows = list(rejections)
    if not rows:
        raise ValidationError("Ce fichier ne contient aucun prélèvement rejeté.")
    debits = {
        d.end_to_end_id: d
        for d in Debit.objects.filter(end_to_end_id__in=[r.end_to_end_id for r in rows])
    }
    unknown = [r.end_to_end_id or "(vide)" for r in rows if r.end_to_end_id not in debits]
    if unknown:
        raise ValidationError(
            "Aucun prélèvement ne porte ces références : " + ", ".join(unknown) + ". Rien n’a "
            "été enregistré."
        )
    applied = already = 0
    for row in rows:
        debit = debits[row.end_to_end_id]
        debit.refresh_from_db(fields=["rejected_on"])
        if debit.rejected_on is not None:
            already += 1
            continue
        try:
            debit_reject(debit=debit, date=row.date, reason=row.reason, by=by, line=None)
        except ValidationError as error:
            raise ValidationError(
                f"Prélèvement {row.end_to_end_id} : " + " ".join(error.messages)
            ) from None
        applied += 1
    return RejectionsResult(applied=applied, already=already)


def rejections_from_notice(data: bytes) -> list[Rejection]:
    """The returned debits of a camt.054 notice (``banking.parsers``): its debit entries with
    a return reason, or that quote one of our end-to-end ids (other debits are not ours)."""
    statement = parsers.parse(data)
    return [
        Rejection(line.reference.strip(), line.booked_on, line.return_reason)
        for line in statement.lines
        if line.amount < 0
        and line.reference.strip()
        and (line.return_reason or _OUR_E2E.fullmatch(line.reference.strip().upper()))
    ]
