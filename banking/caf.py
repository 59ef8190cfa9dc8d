"""The CAF's bulk payment, split per household from the CAF's detail.

The CAF pays the housing benefit of every tiers-payant household in one transfer. Its bank
line waits (``claim_line``) until the régisseur imports the CAF's detail of it (its CSV list
of beneficiaries, ``banking.caf_detail``): each row is matched to a household (by its
allocataire number, else by name), to the household's contract running in the row's month,
and checked against the benefit the contract expects (``tenancy.owners.caf_batch``, the
CAF batch's own definition). The detail must add up to the bank line. Confirming writes one
`apl` entry per row through the CAF batch's writer (``tenancy.ledger.caf_confirm``), each with
the bank line as its source (``Allocation``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from rapidfuzz import fuzz

from banking.caf_detail import ALLOCATAIRE, INVISIBLE, DetailRow, parse_detail
from banking.codes import CafRowStatus, LineStatus
from banking.models import Allocation, BankLine, CafNotice, CafNoticeRow
from banking.rules import is_caf_line, normalise
from households.models import Household, Person
from iml.codes import PersonRole
from iml.formats import euros
from iml.models import User
from tenancy import ledger, owners
from tenancy.amounts import days_covered, next_month
from tenancy.models import SubleaseContract

CAF_NOTE = "Versement CAF : à répartir avec le détail de la CAF"
# A name of the CAF's detail is a household's person's from this score (rapidfuzz, 0-100,
# the words in any order): a spelling or an accent apart, not another first name.
NAME_SCORE = 85
# Words the CAF may put before a name.
_CIVILITY = {"M", "MR", "MME", "MLLE", "MONSIEUR", "MADAME", "MADEMOISELLE"}


def claim_line(line: BankLine, by: User | None) -> bool:
    """The CAF's bulk payment waits for the CAF's detail (``banking.rules.LINE_CLAIMS``):
    the matcher leaves it, it is split from the notice page."""
    if line.amount <= 0 or not is_caf_line(line.label, line.counterparty):
        return False
    line.status = LineStatus.PROPOSED
    line.note = CAF_NOTE
    if line.pk is not None:
        line.save(update_fields=["status", "note"])
    return True


def awaiting_lines():
    """The CAF's bank lines without a detail yet (the list of notices offers their import)."""
    return (
        BankLine.objects.filter(amount__gt=0, status=LineStatus.PROPOSED, note=CAF_NOTE)
        .filter(caf_notice__isnull=True)
        .select_related("account")
        .order_by("-booked_on", "-pk")
    )


# --- Matching the rows ----------------------------------------------------------------------


def _name_key(text: str) -> str:
    return " ".join(word for word in normalise(text).split() if word not in _CIVILITY)


def _running(months: Iterable[datetime.date]) -> dict[datetime.date, list[SubleaseContract]]:
    """For each month, the contracts with at least one day in it (not cancelled), their
    households' adults prefetched: one query for the contracts, one for the persons."""
    months = sorted(set(months))
    first, last = months[0], next_month(months[-1])
    contracts = list(
        SubleaseContract.objects.filter(start_date__lt=last, cancelled_at__isnull=True)
        .filter(Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=first))
        .select_related("household")
        .prefetch_related(
            Prefetch(
                "household__persons",
                queryset=Person.objects.exclude(role=PersonRole.ENFANT).order_by("pk"),
                to_attr="adults",
            )
        )
        .order_by("pk")
    )
    running: dict[datetime.date, list[SubleaseContract]] = {}
    for month in months:
        covering = [c for c in contracts if days_covered(c, month) > 0]
        # A household that moved within the month: the contract with most days of it.
        best: dict[int, SubleaseContract] = {}
        for contract in covering:
            kept = best.get(contract.household_id)
            if kept is None or (days_covered(contract, month), contract.start_date) > (
                days_covered(kept, month),
                kept.start_date,
            ):
                best[contract.household_id] = contract
        running[month] = list(best.values())
    return running


def _by_name(name: str, allocataire: str, contracts: list[SubleaseContract]):
    """The one contract whose household has a person of that name (fuzzy, any order of
    words), unless it already has another allocataire number; None when none or two."""
    key = _name_key(name)
    scored = []
    for contract in contracts:
        household = contract.household
        if household.caf_number and household.caf_number != allocataire:
            continue
        score = max(
            (
                fuzz.token_sort_ratio(key, _name_key(f"{p.last_name} {p.first_name}"))
                for p in household.adults
            ),
            default=0,
        )
        if score >= NAME_SCORE:
            scored.append((score, contract))
    scored.sort(key=lambda pair: -pair[0])
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


@dataclass
class _Match:
    household: Household | None
    contract: SubleaseContract | None


def _match(
    allocataire: str,
    name: str,
    period: datetime.date,
    running: dict[datetime.date, list[SubleaseContract]],
    numbered: dict[str, Household],
) -> _Match:
    contracts = running[period]
    household = numbered.get(allocataire)
    if household is not None:
        contract = next((c for c in contracts if c.household_id == household.pk), None)
        return _Match(household, contract)
    contract = _by_name(name, allocataire, contracts)
    return _Match(contract.household if contract else None, contract)


def _expected(months: Iterable[datetime.date]) -> dict[tuple[int, datetime.date], Decimal]:
    """The benefit each contract expects for each month, as the CAF batch computes it."""
    expected = {}
    for month in set(months):
        for line in owners.caf_batch(month).lines:
            expected[(line.contract.pk, month)] = line.expected
    return expected


def _check(row: CafNoticeRow, expected: dict[tuple[int, datetime.date], Decimal]) -> None:
    if row.contract is None:
        row.expected = None
        row.status = CafRowStatus.UNKNOWN
        return
    row.expected = expected.get((row.contract.pk, row.period), Decimal("0.00"))
    row.status = CafRowStatus.OK if row.amount == row.expected else CafRowStatus.DIFFERENT


def _numbered(numbers: Iterable[str]) -> dict[str, Household]:
    return {h.caf_number: h for h in Household.objects.filter(caf_number__in=set(numbers))}


# --- Import ---------------------------------------------------------------------------------


def _check_line(line: BankLine) -> None:
    if line.amount <= 0:
        raise ValidationError("Cette ligne est un débit : ce n’est pas un versement de la CAF.")
    if line.status in (LineStatus.MATCHED, LineStatus.IGNORED) or line.allocations.exists():
        raise ValidationError(
            "Cette ligne est déjà rapprochée ou écartée : annulez d’abord ce qui en a été "
            "écrit pour la répartir avec le détail de la CAF."
        )


@transaction.atomic
def notice_import(*, line: BankLine, file_name: str, data: bytes, by: User | None) -> CafNotice:
    """The CAF's detail of ``line``, its rows matched and checked. A detail imported again
    for the same line, not yet confirmed, replaces the earlier one."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    _check_line(line)
    earlier = CafNotice.objects.filter(line=line).first()
    if earlier is not None and earlier.confirmed_at is not None:
        raise ValidationError("Le détail de ce versement est déjà confirmé : rien n’a changé.")
    detail: list[DetailRow] = parse_detail(data)
    total = sum((row.amount for row in detail), Decimal("0.00"))
    if total != line.amount:
        raise ValidationError(
            f"Le total du détail ({euros(total)}) ne correspond pas au versement de la CAF sur "
            f"le relevé ({euros(line.amount)}) : écart de {euros(total - line.amount)}. Le "
            "détail de la CAF doit faire le compte de son versement : vérifiez que le fichier "
            "est celui de ce versement, et complet. Rien n’a été enregistré."
        )
    if earlier is not None:
        earlier.delete()
    periods = [row.period for row in detail]
    running = _running(periods)
    numbered = _numbered(row.allocataire for row in detail)
    expected = _expected(periods)
    notice = CafNotice.objects.create(
        organisation_id=line.organisation_id,
        line=line,
        month=max(periods),
        # The browser's name of the file, kept on one line and without invisible characters.
        file_name=" ".join(INVISIBLE.sub(" ", file_name).split())[:255] or "detail.csv",
        imported_by=by,
    )
    rows = []
    for item in detail:
        match = _match(item.allocataire, item.name, item.period, running, numbered)
        row = CafNoticeRow(
            organisation_id=line.organisation_id,
            notice=notice,
            allocataire=item.allocataire,
            name=item.name,
            period=item.period,
            amount=item.amount,
            household=match.household,
            contract=match.contract,
        )
        _check(row, expected)
        rows.append(row)
    CafNoticeRow.objects.bulk_create(rows)
    return notice


# --- What the notice page shows ---------------------------------------------------------------


def notice_rows(notice: CafNotice) -> list[CafNoticeRow]:
    """The rows, each with ``difference`` (received - expected, None for an unknown row) and
    ``number_to_store`` (its household was found by name, or not at all)."""
    rows = list(
        notice.rows.select_related("household", "contract").order_by("period", "name", "pk")
    )
    for row in rows:
        row.difference = None if row.expected is None else row.amount - row.expected
        row.number_to_store = row.household is None or row.household.caf_number != row.allocataire
    return rows


def notice_missing(notice: CafNotice) -> list[owners.CafLine]:
    """Households in tiers payant during the notice's month (a running contract expecting a
    housing benefit) that the CAF's detail does not name for that month."""
    named = set(
        notice.rows.filter(period=notice.month, household__isnull=False).values_list(
            "household_id", flat=True
        )
    )
    return [
        line
        for line in owners.caf_batch(notice.month).lines
        if line.contract.household_id not in named and line.contract.cancelled_at is None
    ]


@dataclass(frozen=True)
class NoticeTotals:
    detail: Decimal
    line: Decimal
    expected: Decimal  # of the rows matched to a contract
    ok: int
    different: int
    unknown: int


def notice_totals(rows: list[CafNoticeRow], notice: CafNotice) -> NoticeTotals:
    counts = defaultdict(int)
    for row in rows:
        counts[row.status] += 1
    return NoticeTotals(
        detail=sum((row.amount for row in rows), Decimal("0.00")),
        line=notice.line.amount if notice.line else Decimal("0.00"),
        expected=sum((row.expected or Decimal("0.00") for row in rows), Decimal("0.00")),
        ok=counts[CafRowStatus.OK],
        different=counts[CafRowStatus.DIFFERENT],
        unknown=counts[CafRowStatus.UNKNOWN],
    )


# --- Confirmation ---------------------------------------------------------------------------


@transaction.atomic
def notice_confirm(notice: CafNotice, by: User) -> list:
    """Write the notice's `apl` entries (one per row, for the row's month, dated the bank
    line's day), each with the bank line as its source; the line is then matched. A notice
    confirmed already writes nothing (returns no entry). Every row must be a household's,
    and a month already recorded for one contract refuses the whole notice."""
    notice = CafNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.confirmed_at is not None:
        return []
    if notice.line_id is None:
        raise ValidationError("Ce détail n’est rattaché à aucune ligne de relevé.")
    line = BankLine.objects.select_for_update().get(pk=notice.line_id)
    _check_line(line)
    rows = list(notice.rows.select_related("contract").order_by("period", "pk"))
    unknown = [row for row in rows if row.contract is None]
    if unknown:
        raise ValidationError(
            "Rattachez d’abord chaque allocataire à un ménage (enregistrez son n° d’allocataire "
            "sur le ménage) : "
            + ", ".join(f"{row.name} ({row.allocataire}, {row.period:%m/%Y})" for row in unknown)
            + ". Un allocataire sans rapport avec le dispositif se règle avec la CAF."
        )
    by_period: dict[datetime.date, dict[SubleaseContract, Decimal]] = defaultdict(dict)
    row_of: dict[tuple[int, datetime.date], CafNoticeRow] = {}
    for row in rows:
        assert row.contract is not None
        key = (row.contract.pk, row.period)
        if key in row_of:
            raise ValidationError(
                f"Deux lignes du détail désignent le contrat {row.contract.reference} pour "
                f"{row.period:%m/%Y} ({row_of[key].name}, {row.name}) : corrigez le n° "
                "d’allocataire d’un des ménages."
            )
        row_of[key] = row
        by_period[row.period][row.contract] = row.amount
    entries = []
    for period in sorted(by_period):
        for entry in ledger.caf_confirm(
            month=period, received=by_period[period], date=line.booked_on, by=by
        ):
            row_of[(entry.contract_id, period)].entry = entry
            entries.append(entry)
    CafNoticeRow.objects.bulk_update(rows, ["entry"])
    Allocation.objects.bulk_create(
        Allocation(organisation_id=line.organisation_id, line=line, entry=entry, created_by=by)
        for entry in entries
    )
    line.status = LineStatus.MATCHED
    line.note = (
        f"Versement CAF de {notice.month:%m/%Y} réparti : {len(entries)} ménage"
        f"{'s' if len(entries) > 1 else ''}"
    )
    line.save(update_fields=["status", "note"])
    notice.confirmed_at = timezone.now()
    notice.save(update_fields=["confirmed_at"])
    return entries


# --- The household's allocataire number -------------------------------------------------------


def row_candidates(row: CafNoticeRow):
    """The households a row may be given to: those with a contract running in its month."""
    contracts = _running([row.period])[row.period]
    return Household.objects.filter(pk__in=[c.household_id for c in contracts]).order_by(
        "reference", "pk"
    )


@transaction.atomic
def allocataire_record(*, row: CafNoticeRow, household: Household, by: User | None) -> int:
    """Store the row's allocataire number on ``household``, then match again the rows of
    the unconfirmed notices with that number. Returns how many rows now name a household."""
    notice = CafNotice.objects.select_for_update().get(pk=row.notice_id)
    if notice.confirmed_at is not None:
        raise ValidationError("Ce détail est déjà confirmé : sa répartition ne change plus.")
    number = row.allocataire
    if not ALLOCATAIRE.match(number):
        raise ValidationError("N° d’allocataire illisible.")
    other = Household.objects.filter(caf_number=number).exclude(pk=household.pk).first()
    if other is not None:
        raise ValidationError(
            {
                "household": f"Le n° d’allocataire {number} est déjà celui du ménage "
                f"{other.reference} : corrigez d’abord ce ménage."
            }
        )
    household = Household.objects.select_for_update().get(pk=household.pk)
    household.caf_number = number
    household.save(update_fields=["caf_number", "updated_at"])
    rows = list(
        CafNoticeRow.objects.filter(allocataire=number, notice__confirmed_at__isnull=True)
        .select_related("notice")
        .order_by("pk")
    )
    periods = [r.period for r in rows]
    running = _running(periods)
    expected = _expected(periods)
    numbered = {number: household}
    for each in rows:
        match = _match(each.allocataire, each.name, each.period, running, numbered)
        each.household, each.contract = match.household, match.contract
        _check(each, expected)
    CafNoticeRow.objects.bulk_update(rows, ["household", "contract", "expected", "status"])
    return sum(1 for each in rows if each.contract is not None)
