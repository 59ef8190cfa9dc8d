"""What the régisseur does with a bank line: confirm it (whole or split across households) into
the ledger, set it aside, restore it; accept the first proposal of many lines at once.

A line's allocated amount is the sum of its allocations whose ledger entry stands (not
reversed): a wrong match is corrected by reversing the entry on the contract's page, as
everywhere in the ledger, and the line is then again to match (``line_status_refresh``,
``lines_follow_reversals``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum

from banking.codes import LineStatus
from banking.models import Allocation, BankLine, Debit, MatchProposal
from iml.codes import LedgerKind, PaymentMethod
from iml.formats import euros
from iml.models import User
from tenancy import ledger
from tenancy.amounts import clean_amount
from tenancy.models import LedgerEntry, SubleaseContract

ZERO = Decimal("0.00")
# What a bank credit may become in a household's ledger (the CAF's bulk payment has its own
# screen, ``banking.caf``).
CONFIRMABLE_KINDS = (LedgerKind.PAIEMENT, LedgerKind.AIDE)
ALREADY_MATCHED = "already_matched"


@dataclass(frozen=True)
class Part:
    """A share of a line for one contract: ``kind`` is ``paiement`` or ``aide``."""

    contract: SubleaseContract
    kind: str
    amount: Decimal


# --- What is left of a line -----------------------------------------------------------------


def _rejected_debit() -> Exists:
    """The allocation's entry is the payment of a direct debit the bank rejected: the money
    came in on the collection line and went out on the rejection's line (``banking.sepa``)."""
    return Exists(Debit.objects.filter(entry=OuterRef("entry"), rejected_on__isnull=False))


def standing_allocations() -> Q:
    """Allocations whose entry stands: not reversed (the reversal is an entry pointing back),
    or reversed because the bank rejected the debit — the collection line stays accounted for."""
    return Q(entry__reversals__isnull=True) | Q(_rejected_debit())


def allocated_by_line(lines: Sequence[BankLine]) -> dict[int, Decimal]:
    """The allocated amount of each line that has one, in one grouped query (the lines of a
    new statement have none: an index lookup)."""
    rows = (
        Allocation.objects.filter(standing_allocations(), line__in=[line.pk for line in lines])
        .order_by()
        .values_list("line")
        .annotate(total=Sum("entry__credit"))
    )
    return dict(rows)


def line_allocated(line: BankLine) -> Decimal:
    sums = Allocation.objects.filter(standing_allocations(), line=line).aggregate(
        total=Sum("entry__credit")
    )
    total = cast("Decimal | None", sums["total"])
    return total if total is not None else ZERO


def line_remainder(line: BankLine) -> Decimal:
    """What of a credit line is not (or no longer) written into a ledger."""
    remainder: Decimal = line.amount - line_allocated(line)
    return remainder


def line_status_refresh(line: BankLine, remainder: Decimal | None = None) -> BankLine:
    """The status that follows the line's allocations: matched when nothing is left,
    otherwise proposed (with proposals) or in suspense. A line set aside stays so.
    ``remainder``: when the caller has just computed it."""
    if line.status == LineStatus.IGNORED or line.amount <= 0:
        return line
    if remainder is None:
        remainder = line_remainder(line)
    if remainder <= 0:
        status = LineStatus.MATCHED
    elif line.proposals.exists():
        status = LineStatus.PROPOSED
    else:
        status = LineStatus.SUSPENSE
    if status != line.status:
        line.status = status
        line.save(update_fields=["status"])
    return line


def lines_follow_reversals() -> int:
    """Matched lines one of whose entries was reversed since (on the contract's page, which
    does not know the bank) are again to match. Called by the bank's pages as they load:
    one query when there is nothing to do."""
    undone = Allocation.objects.filter(entry__reversals__isnull=False).exclude(_rejected_debit())
    reversed_lines = list(
        BankLine.objects.filter(status=LineStatus.MATCHED, pk__in=undone.values("line"))
    )
    for line in reversed_lines:
        with transaction.atomic():
            line_status_refresh(line)
    return len(reversed_lines)


# --- Confirming -----------------------------------------------------------------------------


PartLike = Part | tuple[SubleaseContract, str, Decimal]


def _clean_parts(line: BankLine, parts: Iterable[PartLike]) -> list[Part]:
    cleaned = []
    for part in parts:
        contract, kind, amount = (
            (part.contract, part.kind, part.amount) if isinstance(part, Part) else part
        )
        if contract is None:
            raise ValidationError("Choisissez le ménage de chaque part.")
        if contract.organisation_id != line.organisation_id:
            raise ValidationError("Ce contrat n’est pas de l’organisation.")
        if kind not in CONFIRMABLE_KINDS:
            raise ValidationError("Une ligne se rapproche en paiement du ménage ou en aide.")
        cleaned.append(Part(contract=contract, kind=kind, amount=clean_amount(amount)))
    if not cleaned:
        raise ValidationError("Indiquez au moins un ménage et un montant.")
    return cleaned


def aid_note(line: BankLine) -> str:
    """The aid's origin, as the ledger requires one: the bank's label names it."""
    return f"Aide reçue par virement le {line.booked_on:%d/%m/%Y} : {line.label}"[:300]


def line_reference(line: BankLine) -> str:
    return (line.reference or line.label).strip()[:100]


@transaction.atomic
def line_confirm(
    *, line: BankLine, parts: Sequence[PartLike], by: User | None
) -> list[LedgerEntry]:
    """Write a credit line (or part of it) into households' ledgers: one entry per part, each
    with the line as its source. The parts may add up to less than what is left of the line
    (the rest stays to match), never more."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.amount <= 0:
        raise ValidationError("Seule une ligne au crédit du compte se rapproche d’un ménage.")
    if line.status == LineStatus.IGNORED:
        raise ValidationError("Cette ligne est écartée : rétablissez-la d’abord.")
    cleaned = _clean_parts(line, parts)
    remainder = line_remainder(line)
    if remainder <= 0:
        raise ValidationError("Cette ligne est déjà rapprochée.", code=ALREADY_MATCHED)
    total = sum((part.amount for part in cleaned), ZERO)
    if total > remainder:
        raise ValidationError(
            f"Les parts ({euros(total)}) dépassent ce qui reste à rapprocher de la ligne "
            f"({euros(remainder)})."
        )
    # Nobody for what the import writes itself (the ledger's author may be empty).
    author = cast(User, by)
    entries = []
    for part in cleaned:
        if part.kind == LedgerKind.AIDE:
            entry = ledger.aid_record(contract=part.contract, date=line.booked_on,
                                      amount=part.amount, by=author, note=aid_note(line),
                                      reference=line_reference(line))  # fmt: skip
        else:
            # Money that reached the account: recorded even above what the household owes
            # (the excess stays to its credit).
            entry = ledger.payment_record(
                contract=part.contract,
                date=line.booked_on,
                amount=part.amount,
                method=PaymentMethod.VIREMENT,
                by=author,
                reference=line_reference(line),
                confirmed=True,
            )
        Allocation.objects.create(
            organisation_id=line.organisation_id, line=line, entry=entry, created_by=by
        )
        entries.append(entry)
    line_status_refresh(line, remainder - total)
    return entries


@transaction.atomic
def line_set_aside(*, line: BankLine, note: str, by: User | None) -> BankLine:
    """A line that is no household's (bank fees, a landlord's refund…), with why."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if not note.strip():
        raise ValidationError({"note": "Indiquez pourquoi cette ligne est écartée."})
    if line.status == LineStatus.IGNORED:
        raise ValidationError("Cette ligne est déjà écartée.")
    if line.amount > 0 and line_allocated(line) > 0:
        raise ValidationError(
            "Une partie de cette ligne est inscrite au compte d’un ménage : annulez d’abord "
            "l’écriture sur la page du contrat."
        )
    line.status = LineStatus.IGNORED
    line.note = note.strip()[:300]
    line.save(update_fields=["status", "note"])
    return line


@transaction.atomic
def line_restore(*, line: BankLine, by: User | None) -> BankLine:
    """A line set aside by mistake is again to match."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.status != LineStatus.IGNORED:
        raise ValidationError("Cette ligne n’est pas écartée.")
    if line.amount <= 0:
        raise ValidationError("Un débit du compte ne se rapproche pas d’un ménage.")
    line.status = LineStatus.SUSPENSE
    line.note = ""
    line.save(update_fields=["status", "note"])
    return line_status_refresh(line)


# --- Accepting proposals --------------------------------------------------------------------


@dataclass
class Accepted:
    accepted: list[BankLine] = field(default_factory=list)
    already: list[BankLine] = field(default_factory=list)
    failed: list[tuple[BankLine, str]] = field(default_factory=list)


def proposal_accept(*, proposal: MatchProposal, by: User | None) -> list[LedgerEntry]:
    """Confirm one proposal: its contract takes what is left of the line (at most the
    proposal's amount)."""
    line = proposal.line
    with transaction.atomic():
        # Nothing left: ``line_confirm`` says the line is already matched.
        amount = min(proposal.amount, line_remainder(line)) or proposal.amount
        return line_confirm(
            line=line, parts=[Part(proposal.contract, proposal.kind, amount)], by=by
        )


def proposals_accept(*, lines: Iterable[BankLine], by: User | None) -> Accepted:
    """Confirm the first proposal of each line, each line on its own: one refused is reported
    and the others go through. A line already matched (a form posted twice) is skipped."""
    result = Accepted()
    lines = list(lines)
    firsts = {
        proposal.line_id: proposal
        for proposal in MatchProposal.objects.filter(line__in=lines)
        .select_related("contract", "line")
        # Highest rank first: the first proposal (rank 1) is the one the dict keeps.
        .order_by("line", "-rank")
    }
    for line in lines:
        proposal = firsts.get(line.pk)
        if proposal is None:
            result.failed.append((line, "aucune proposition"))
            continue
        try:
            with transaction.atomic():
                proposal_accept(proposal=proposal, by=by)
        except ValidationError as error:
            if getattr(error, "code", None) == ALREADY_MATCHED:
                result.already.append(line)
            else:
                result.failed.append((line, " ".join(error.messages)))
        else:
            result.accepted.append(line)
    return result
