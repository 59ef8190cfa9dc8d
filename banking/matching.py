"""Ranked proposals for the credit lines of a statement: whose money is it?

Three clues, from the surest:

- a receipt number (``2026-00042``) or a contract reference in the label or the reference:
  no doubt is left, the line is written into the ledger at once (a ``certain`` proposal);
- the name of a person of a household with a running contract, compared without accents,
  case nor word order, with a tolerance for typing errors (rapidfuzz): « VIR M DIALLO
  AMINATA » is Aminata Diallo; a short or shared surname alone weighs little;
- the amount: what the contract owes, or what the household usually pays (its last
  payments, or its residual rent: rent + charges - expected housing benefit).

Everything is loaded once per call (contracts with their balances, their persons, their last
payments, the receipts named in the labels): a constant number of queries whatever the number
of lines. Names are compared word by word, each distinct word of the labels once against the
distinct words of the names (``process.extract``), so that a 2 000-line statement against
hundreds of households takes a fraction of a second.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from rapidfuzz import fuzz, process

from banking import services
from banking.codes import LineStatus
from banking.models import BankLine, MatchProposal
from banking.rules import normalise
from households.models import Person
from iml.codes import LedgerKind
from iml.models import User
from tenancy.models import LedgerEntry, SubleaseContract
from tenancy.money import balance_subquery, residual_rent


@dataclass(frozen=True)
class MatchCounts:
    matched: int  # written into ledgers: a reference left no doubt
    proposed: int  # ranked proposals awaiting the régisseur's confirmation
    suspense: int  # nothing to propose


DEBIT_NOTE = "Débit du compte"
MAX_PROPOSALS = 3
MIN_SCORE = 25
# Fuzzy likeness (0-100) from which two words are taken for the same name; shorter words
# must be equal: one letter off in « SOW » or « BAH » is another family.
NAME_CUTOFF = 85
FUZZY_FROM = 5
# Contracts ended this long before the statement still receive payments (a debt paid off).
ENDED_WITHIN = datetime.timedelta(days=365)

# Words of bank labels that are no one's name.
_STOP = """
    VIR VIREMENT VIRT SEPA RECU RECUS EMIS INST INSTANTANE PERMANENT FAVEUR ORDRE DONNEUR
    DE DU DES LA LE LES ET EN AU AUX POUR PAR SUR DIT
    M MR MME MLLE MM MONSIEUR MADAME MADEMOISELLE FAMILLE EPOUX EPOUSE
    REF REFERENCE MOTIF LIBELLE NOTPROVIDED NPY ID BENEF BENEFICIAIRE
    LOYER LOYERS MOIS CHARGES PAIEMENT REGLEMENT RGLT FACTURE ECHEANCE SOLDE RESTE ACOMPTE
    APPARTEMENT LOGEMENT CHAMBRE APPT
    JANVIER FEVRIER MARS AVRIL MAI JUIN JUILLET AOUT SEPTEMBRE OCTOBRE NOVEMBRE DECEMBRE
    JANV FEV AVR JUIL SEPT OCT NOV DEC
    AIDE AIDES FSL CCAS CIAS FONDS SOLIDARITE ACTION PASS LOCA CAF
"""
STOP_WORDS = frozenset(_STOP.split())
# An aid towards the rent paid by a third party: recorded as ``aide``.
_AID = re.compile(
    r"\b(FSL|CCAS|CIAS|FONDS (DE )?SOLIDARITE( POUR LE)? LOGEMENT|LOCA PASS|ACTION LOGEMENT)\b"
)
# ``tenancy.ledger.next_receipt_number``'s numbers, once normalised (« 2026-00042 »).
_RECEIPT = re.compile(r"\b((?:19|20)\d\d) (\d{5})\b")


@dataclass(frozen=True)
class Proposal:
    contract: SubleaseContract
    kind: str
    amount: Decimal
    score: int
    reasons: str
    certain: bool = False


@dataclass
class _Household:
    contract: SubleaseContract
    owed: Decimal
    usual: set[Decimal] = field(default_factory=set)
    residual: Decimal | None = None
    names: list[tuple[str, list[str], list[str]]] = field(default_factory=list)


@dataclass
class _Index:
    """What the lines are compared with, loaded once."""

    references: dict[str, SubleaseContract]
    receipts: dict[str, SubleaseContract]
    households: dict[int, _Household]
    by_word: dict[str, set[int]]  # name word → households having a person of that name
    surname_households: dict[str, set[int]]  # surname word → households (shared names)
    owed: dict[Decimal, set[int]]
    usual: dict[Decimal, set[int]]
    words: list[str] = field(default_factory=list)
    reference_pattern: re.Pattern[str] | None = None
    likeness: dict[str, dict[str, float]] = field(default_factory=dict)

    def like(self, word: str) -> dict[str, float]:
        """Name words like ``word`` with their likeness, computed once per distinct word."""
        if word not in self.likeness:
            found = {word: 100.0} if word in self.by_word else {}
            if len(word) >= FUZZY_FROM:
                for name, score, _ in process.extract(
                    word, self.words, scorer=fuzz.ratio, score_cutoff=NAME_CUTOFF, limit=None
                ):
                    if len(name) >= FUZZY_FROM:
                        found[name] = max(found.get(name, 0.0), score)
            self.likeness[word] = found
        return self.likeness[word]


def _text(line: BankLine) -> str:
    return normalise(f"{line.counterparty} {line.label} {line.reference}")


def _name_words(name: str) -> list[str]:
    """« N'Diaye » → NDIAYE and DIAYE; « Keïta » → KEITA; particles are dropped."""
    parts = [part for part in normalise(name).split() if len(part) >= 2]
    if len(parts) > 1:
        parts.append("".join(parts))
    return [part for part in parts if part not in STOP_WORDS]


def _reference_key(reference: str) -> str:
    return normalise(reference)


def _load(lines: Sequence[BankLine]) -> _Index:
    dates = [line.booked_on for line in lines]
    first, last = min(dates), max(dates)
    texts = [_text(line) for line in lines]

    # Contract references: every contract of the organisation (two columns), a reference
    # being unambiguous whatever the contract's age. Short ones (« 12 ») would match amounts.
    references: dict[str, SubleaseContract] = {}
    for contract in SubleaseContract.objects.filter(cancelled_at__isnull=True).only(
        "pk", "reference", "household_id", "organisation_id", "start_date", "cancelled_at"
    ):
        written = _reference_key(contract.reference)
        if len(written.replace(" ", "")) >= 4 and any(c.isdigit() for c in written):
            references[written] = contract
            references.setdefault(written.replace(" ", ""), contract)
    pattern = None
    if references:
        alternatives = sorted(references, key=len, reverse=True)
        pattern = re.compile(
            r"(?<![A-Z0-9])(" + "|".join(map(re.escape, alternatives)) + r")(?![A-Z0-9])"
        )

    numbers = {f"{y}-{n}" for text in texts for y, n in _RECEIPT.findall(text)}
    receipts = {
        entry.number: entry.contract
        for entry in LedgerEntry.objects.filter(
            kind=LedgerKind.PAIEMENT, number__in=numbers, contract__cancelled_at__isnull=True
        ).select_related("contract")
    }

    running = (
        SubleaseContract.objects.filter(
            Q(actual_end_date__isnull=True) | Q(actual_end_date__gte=first - ENDED_WITHIN),
            cancelled_at__isnull=True,
            start_date__lte=last,
            household__anonymised_at__isnull=True,
        )
        .select_related("household")
        .annotate(owed=balance_subquery("contract"))
        # The latest contract of a household last: the one its payments go to.
        .order_by("household_id", "start_date", "pk")
    )
    households: dict[int, _Household] = {}
    for contract in running:
        residual = residual_rent(contract)
        households[contract.household_id] = _Household(
            contract=contract,
            owed=contract.owed,
            residual=residual if residual > 0 else None,
        )
    contract_household = {h.contract.pk: key for key, h in households.items()}

    last_payments = (
        LedgerEntry.objects.live()
        .filter(kind=LedgerKind.PAIEMENT, contract__in=list(contract_household))
        .annotate(
            recent=Window(
                RowNumber(),
                partition_by=F("contract_id"),
                order_by=[F("date").desc(), F("pk").desc()],
            )
        )
        .filter(recent__lte=3)
        .values_list("contract_id", "credit")
    )
    for contract_id, credit in last_payments:
        households[contract_household[contract_id]].usual.add(credit)

    by_word: dict[str, set[int]] = defaultdict(set)
    surname_households: dict[str, set[int]] = defaultdict(set)
    persons = Person.objects.filter(household_id__in=list(households)).values_list(
        "household_id", "first_name", "last_name"
    )
    for household_id, first_name, last_name in persons:
        surnames, given = _name_words(last_name), _name_words(first_name)
        households[household_id].names.append((f"{first_name} {last_name}", surnames, given))
        for word in surnames:
            by_word[word].add(household_id)
            surname_households[word].add(household_id)
        for word in given:
            by_word[word].add(household_id)

    owed: dict[Decimal, set[int]] = defaultdict(set)
    usual: dict[Decimal, set[int]] = defaultdict(set)
    for key, household in households.items():
        if household.owed > 0:
            owed[household.owed].add(key)
        amounts = set(household.usual)
        if household.residual is not None:
            amounts.add(household.residual)
        for amount in amounts:
            usual[amount].add(key)
    return _Index(
        references=references,
        receipts=receipts,
        households=households,
        by_word=by_word,
        surname_households=surname_households,
        owed=owed,
        usual=usual,
        words=list(by_word),
        reference_pattern=pattern,
    )


def _kind(text: str) -> str:
    return LedgerKind.AIDE if _AID.search(text) else LedgerKind.PAIEMENT


def _certain(index: _Index, text: str) -> tuple[SubleaseContract, str] | None:
    for year, number in _RECEIPT.findall(text):
        contract = index.receipts.get(f"{year}-{number}")
        if contract is not None:
            return contract, f"n° de reçu {year}-{number} dans le libellé"
    if index.reference_pattern is not None:
        found = index.reference_pattern.search(text)
        if found:
            contract = index.references[found.group(1)]
            return contract, f"référence du contrat {contract.reference} dans le libellé"
    return None


def _name_score(index: _Index, key: int, hits: dict[str, float]) -> tuple[int, str]:
    """How surely the label names a person of household ``key`` (0: not at all)."""
    best, why = 0, ""
    for full_name, surnames, given in index.households[key].names:
        surname = max(((hits.get(w, 0.0), w) for w in surnames), default=(0.0, ""))
        first = max((hits.get(w, 0.0) for w in given), default=0.0)
        if surname[0] < NAME_CUTOFF:
            continue
        exact = surname[0] == 100 and first in (0.0, 100.0)
        if first >= NAME_CUTOFF:
            score = 55 + round(15 * ((surname[0] + first) / 2 - NAME_CUTOFF) / (100 - NAME_CUTOFF))
            what = "nom et prénom"
        else:
            # A surname alone: several households may bear it, and a short one is common.
            shared = len(index.surname_households[surname[1]]) > 1
            score = 25 if shared or len(surname[1]) < FUZZY_FROM else 35
            what = "nom (sans le prénom)"
        if score > best:
            best = score
            likeness = "" if exact else " (approchant)"
            why = f"{what} de {full_name} dans le libellé{likeness}"
    return best, why


def _amount_score(index: _Index, key: int, amount: Decimal, kind: str) -> tuple[int, str]:
    household = index.households[key]
    if household.owed > 0 and amount == household.owed:
        return 25, "montant égal au solde dû"
    if kind == LedgerKind.PAIEMENT:
        if amount in household.usual:
            return 20, "montant de ses derniers paiements"
        if amount == household.residual:
            return 20, "montant du reste à charge (loyer + charges - aide attendue)"
    return 0, ""


def propose(index: _Index, line: BankLine, remainder: Decimal) -> list[Proposal]:
    """The ranked proposals for one credit line, best first."""
    text = _text(line)
    kind = _kind(text)
    certain = _certain(index, text)
    if certain is not None:
        contract, why = certain
        return [Proposal(contract, kind, remainder, 100, why, certain=True)]
    hits: dict[str, float] = {}
    for word in set(text.split()):
        if word in STOP_WORDS or word.isdigit() or len(word) < 2:
            continue
        for name, score in index.like(word).items():
            hits[name] = max(hits.get(name, 0.0), score)
    candidates = {key for name in hits for key in index.by_word[name]}
    scored: list[tuple[int, int, str]] = []
    for key in candidates:
        by_name, why_name = _name_score(index, key, hits)
        if not by_name:
            continue
        money, why_money = _amount_score(index, key, remainder, kind)
        scored.append(
            (min(99, by_name + money), key, ", ".join(filter(None, [why_name, why_money])))
        )
    if not scored:
        # No name: the amount alone, when it designates a single household.
        owed, usual = index.owed.get(remainder, set()), index.usual.get(remainder, set())
        if len(owed) == 1:
            scored.append((30, next(iter(owed)), "seul ménage dont le solde dû égale ce montant"))
        elif len(usual) == 1 and kind == LedgerKind.PAIEMENT:
            scored.append((30, next(iter(usual)), "seul ménage qui paie habituellement ce montant"))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        Proposal(index.households[key].contract, kind, remainder, score, why[:300])
        for score, key, why in scored[:MAX_PROPOSALS]
        if score >= MIN_SCORE
    ]


def _save_states(lines: Sequence[BankLine]) -> None:
    """One UPDATE per state (a handful), rather than a CASE over thousands of rows."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line in lines:
        groups[line.status, line.note].append(line.pk)
    for (status, note), keys in groups.items():
        BankLine.objects.filter(pk__in=keys).update(status=status, note=note)


def match_lines(lines: Sequence[BankLine], *, by: User | None) -> MatchCounts:
    """Propose (and, when certain, write) what each new line of a statement is. Lines already
    matched or set aside are left alone; a debit line is set aside (the handlers of
    ``banking.rules.LINE_CLAIMS`` took theirs before); previous proposals are replaced."""
    lines = [line for line in lines if line.status not in (LineStatus.MATCHED, LineStatus.IGNORED)]
    credits = [line for line in lines if line.amount > 0]
    for line in lines:
        if line.amount < 0:
            line.status, line.note = LineStatus.IGNORED, DEBIT_NOTE
    if not credits:
        _save_states(lines)
        return MatchCounts(0, 0, 0)
    index = _load(credits)
    allocated = services.allocated_by_line(credits)
    proposals: list[MatchProposal] = []
    certain: list[tuple[BankLine, Proposal]] = []
    for line in credits:
        remainder = line.amount - allocated.get(line.pk, Decimal("0"))
        ranked = propose(index, line, remainder) if remainder > 0 else []
        line.status = LineStatus.PROPOSED if ranked else LineStatus.SUSPENSE
        for rank, proposal in enumerate(ranked, start=1):
            proposals.append(
                MatchProposal(
                    organisation_id=line.organisation_id, line=line,
                    contract=proposal.contract, kind=proposal.kind, amount=proposal.amount,
                    score=proposal.score, rank=rank, reasons=proposal.reasons,
                    certain=proposal.certain,
                )
            )  # fmt: skip
        if ranked and ranked[0].certain:
            certain.append((line, ranked[0]))
    with transaction.atomic():
        MatchProposal.objects.filter(line__in=credits).delete()
        MatchProposal.objects.bulk_create(proposals, batch_size=1000)
        _save_states(lines)
    matched = 0
    for line, proposal in certain:
        try:
            with transaction.atomic():
                services.line_confirm(
                    line=line,
                    parts=[services.Part(proposal.contract, proposal.kind, proposal.amount)],
                    by=by,
                )
        except ValidationError as error:
            # Not writable as it is (a date before the contract…): the régisseur decides.
            MatchProposal.objects.filter(line=line, rank=1).update(
                certain=False,
                score=99,
                reasons=f"{proposal.reasons} — non enregistré : {' '.join(error.messages)}"[:300],
            )
        else:
            line.status = LineStatus.MATCHED
            matched += 1
    proposed = sum(1 for line in credits if line.status == LineStatus.PROPOSED)
    suspense = sum(1 for line in credits if line.status == LineStatus.SUSPENSE)
    return MatchCounts(matched=matched, proposed=proposed, suspense=suspense)
