"""The rent ledger: mouvements, checked as the append-only ledger they become.

One live rent call per contract and month: a call issued again (a duplicate cancelled, a
month called again after a late exit or a rent change) replaces the last call of its month's
chain (``LedgerEntry.replaces``), which must be reversed. An entry is reversed at most once,
by an ``annulation`` of the same amount, on the opposite side. A recorded entry is never
changed. Reads ``contract_info`` (``tenancy``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from iml.codes import LedgerKind
from iml.formats import fr_date as _d
from tenancy.amounts import MAX_AMOUNT as LEDGER_MAX_AMOUNT
from tenancy.models import CREDIT_KINDS, DEBIT_KINDS, LedgerEntry
from workbook.validate.plan import Item, Link, Planner, Row
from workbook.validate.tenancy import ContractInfo

LEDGER_IMMUTABLE = "une écriture déjà importée ne se modifie pas : saisissez une annulation"


@dataclass(slots=True)
class EntryInfo:
    contract: str | None
    kind: str | None
    amount: Decimal | None
    debit: Decimal | None
    credit: Decimal | None
    date: datetime.date | None
    period: datetime.date | None
    cancels: str | None
    row: int | None = None


class LedgerChecks(Planner):
    def load_entries(self) -> None:
        """The ledger, as tuples (it is the large table)."""
        self.entries: dict[str, Any] = {}
        self.reversals: dict[int, str] = {}  # target pk -> key of its reversal
        # Recorded rent calls of each (contract, month), in the order they were written
        # (the chain of replacements: every call but the last is reversed).
        self.calls: dict[tuple[int, datetime.date], list[str]] = defaultdict(list)
        entry_key: dict[int, str] = {}
        rows = LedgerEntry.objects.values_list(
            "pk",
            "ref",
            "public_id",
            "contract_id",
            "date",
            "kind",
            "debit",
            "credit",
            "period",
            "method",
            "reverses_id",
            named=True,
        ).order_by("pk")
        for entry in rows.iterator(chunk_size=20000):
            key = entry.ref or str(entry.public_id)
            self.entries[key] = entry
            entry_key[entry.pk] = key
            if entry.kind == LedgerKind.APPEL:
                self.calls[(entry.contract_id, entry.period)].append(key)
        for entry in self.entries.values():
            if entry.reverses_id is not None:
                self.reversals[entry.reverses_id] = entry_key.get(entry.reverses_id, "")
        self.entry_key = entry_key
        self.result.pks["mouvements"] = {key: entry.pk for key, entry in self.entries.items()}

    # -- mouvements --

    def check_entries(self) -> None:
        sheet = "mouvements"
        contract_pks = self.result.pks["contrats"]
        infos: dict[str, EntryInfo] = {}
        rows = self.sheet_rows(sheet)
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            contract = self.known(sheet, row, "contrat", "contrats", self.contract_info)
            kind, amount = row.get("kind"), row.get("amount")
            info = EntryInfo(
                contract, kind, amount, None, None, row.get("date"), row.get("period"),
                row.get("cancels"), row.number,
            )  # fmt: skip
            infos[ref] = info
            if kind is None or amount is None:
                continue
            if kind == LedgerKind.REGULARISATION:
                if amount == 0:
                    self.error(sheet, row.number, "amount", "montant nul")
                    continue
                info.debit, info.credit = (
                    (amount, Decimal("0")) if amount > 0 else (Decimal("0"), -amount)
                )
            elif amount <= 0:
                self.error(
                    sheet,
                    row.number,
                    "amount",
                    "le montant est positif (la nature dit débit ou crédit ; seule une "
                    "régularisation peut être négative)",
                )
                continue
            elif kind in DEBIT_KINDS:
                info.debit, info.credit = amount, Decimal("0")
            elif kind in CREDIT_KINDS:
                info.debit, info.credit = Decimal("0"), amount
            if abs(amount) > LEDGER_MAX_AMOUNT:
                self.error(sheet, row.number, "amount", "montant trop élevé (99 999,99 au plus)")
                info.debit = info.credit = None
        calls: dict[tuple[str, datetime.date], list[tuple[int, str]]] = defaultdict(list)
        reversed_by: dict[str, list[int]] = defaultdict(list)
        self.call_items: dict[str, Item] = {}
        for row in rows:
            ref = row.get("ref")
            info = infos.get(ref) if ref is not None else None
            if info is None or info.row != row.number:
                continue
            self._entry(sheet, row, ref, info, infos, calls, reversed_by, contract_pks)
        self._call_chains(sheet, calls, reversed_by, contract_pks)
        # An entry is reversed at most once (the workbook's reversals and the recorded ones).
        for target, numbers in reversed_by.items():
            recorded = self._recorded_reversal(target)
            for position, number in enumerate(numbers):
                if position == 0 and recorded is None:
                    continue
                self.error(
                    sheet,
                    number,
                    "cancels",
                    f"l’écriture « {target} » est déjà annulée"
                    + (f" (« {recorded} »)" if recorded else f" (ligne {numbers[0]})"),
                )

    def _call_chains(self, sheet: str, calls, reversed_by, pks) -> None:
        """One live rent call per contract and month: a second call of a month is valid when
        the first is reversed (a duplicate cancelled, a call issued again after a late exit
        or a rent change). Each new call replaces the last call of its month's chain, the
        reversed ones first, the live one last (``LedgerEntry.replaces``)."""

        def is_reversed(key: str) -> bool:
            entry = self.entries.get(key)
            return bool(reversed_by.get(key)) or (entry is not None and entry.pk in self.reversals)

        for (contract, period), written in calls.items():
            recorded = self.calls.get((pks.get(contract), period), [])
            new = [(number, key) for number, key in written if key in self.call_items]
            live = [key for key in recorded if not is_reversed(key)]
            live += [key for _, key in new if not is_reversed(key)]
            if len(live) > 1:
                first = live[0]
                for number, key in new:
                    if key in live[1:]:
                        where = next((f"ligne {n}" for n, k in written if k == first), None)
                        self.error(
                            sheet,
                            number,
                            "period",
                            f"appel de {period:%Y-%m} en double ({where or f'« {first} »'}) : "
                            "un seul appel non annulé par contrat et par mois",
                        )
                continue
            tail = recorded[-1] if recorded else None
            if new and tail is not None and not is_reversed(tail):
                for number, _key in new:
                    self.error(
                        sheet,
                        number,
                        "period",
                        f"un appel de {period:%Y-%m} est déjà enregistré pour ce contrat "
                        f"(« {tail} ») et n’est pas annulé",
                    )
                continue
            ordered = [key for _, key in new if is_reversed(key)]
            ordered += [key for _, key in new if not is_reversed(key)]
            for key in ordered:
                self.call_items[key].fields["replaces"] = (
                    Link("mouvements", tail) if tail is not None else None
                )
                tail = key

    def _recorded_reversal(self, target: str) -> str | None:
        """The key of a recorded reversal of ``target`` that the workbook does not hold."""
        entry = self.entries.get(target)
        if entry is None:
            return None
        reversal = self.reversals.get(entry.pk)
        if reversal is None or reversal in self.seen["mouvements"]:
            return None
        return reversal

    def _entry(self, sheet, row: Row, ref, info: EntryInfo, infos, calls, reversed_by, pks):
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        contract = self.contract_info.get(info.contract) if info.contract else None
        kind, day = info.kind, info.date
        method = row.get("method", "")
        period = info.period
        reverses = None
        if day is not None and day > self.today:
            fail("date", "la date ne peut pas être dans le futur")
        if contract is not None and day is not None and contract.start and day < contract.start:
            fail("date", f"la date précède le début du contrat ({_d(contract.start)})")
        if kind == LedgerKind.APPEL:
            if period is None:
                if row.ok("period"):
                    fail("period", "un appel de loyer indique son mois (AAAA-MM)")
            elif contract is not None and contract.start is not None:
                calls[(info.contract, period)].append((row.number, ref))
        if kind == LedgerKind.PAIEMENT and not method and row.ok("method"):
            fail("method", "un paiement indique son mode (especes, virement, cheque…)")
        if kind == LedgerKind.ANNULATION:
            target = info.cancels
            if target is None:
                if row.ok("cancels"):
                    fail("cancels", "une annulation indique la ref de l’écriture annulée")
            elif target == ref:
                fail("cancels", "une écriture ne s’annule pas elle-même")
            else:
                reverses = self._reversal_target(fail, ref, info, target, infos, reversed_by)
                if reverses is not None and period is None:
                    period = reverses[1]
        elif info.cancels is not None:
            fail("cancels", "seule une annulation (kind annulation) annule une écriture")
        if problems or row.bad or info.contract is None or info.debit is None:
            return
        fields: dict[str, Any] = {
            "ref": ref,
            "contract": Link("contrats", info.contract),
            "date": day,
            "kind": kind,
            "debit": info.debit,
            "credit": info.credit,
            "period": period,
            "method": method,
            "reverses": Link("mouvements", reverses[0]) if reverses else None,
        }
        if kind == LedgerKind.APPEL:
            fields["rent_part"], fields["charges_part"] = _call_split(info.debit, contract)
            fields["replaces"] = None  # set by ``_call_chains``
        existing = self.entries.get(ref)
        if existing is None:
            item = self.plan(sheet, row, ref, None, fields)
            if kind == LedgerKind.APPEL:
                self.call_items[ref] = item
            return
        # Recorded: the same entry, or an error (the ledger is append-only).
        current = {
            "contract": Link("contrats", self.contract_ref.get(existing.contract_id, "")),
            "date": existing.date,
            "kind": existing.kind,
            "debit": existing.debit,
            "credit": existing.credit,
            "period": existing.period,
            "method": existing.method,
            "reverses": Link("mouvements", self.entry_key[existing.reverses_id])
            if existing.reverses_id
            else None,
        }
        columns = {
            "contract": "contrat",
            "date": "date",
            "kind": "kind",
            "debit": "amount",
            "credit": "amount",
            "period": "period",
            "method": "method",
            "reverses": "cancels",
        }
        for name, column in columns.items():
            if name in ("period", "method") and not self.has(sheet, column):
                continue
            if current[name] != fields[name]:
                self.error(sheet, row.number, column, LEDGER_IMMUTABLE)
                info.debit = info.credit = None  # its reversals are not checked against it
                return
        self.count(sheet, "unchanged")

    def _reversal_target(self, fail, ref, info: EntryInfo, target, infos, reversed_by):
        """The entry an ``annulation`` reverses: (key, period), after the checks."""
        reversal = infos.get(target)
        if reversal is not None:
            kind, contract, day = reversal.kind, reversal.contract, reversal.date
            debit, credit, period = reversal.debit, reversal.credit, reversal.period
        elif target in self.entries:
            entry = self.entries[target]
            kind, day, debit, credit = entry.kind, entry.date, entry.debit, entry.credit
            contract, period = self.contract_ref.get(entry.contract_id), entry.period
        else:
            fail(
                "cancels",
                f"écriture annulée inconnue « {target} » (ni dans la feuille mouvements, "
                "ni dans l’organisation)",
            )
            return None
        if kind == LedgerKind.ANNULATION:
            fail("cancels", "une annulation ne s’annule pas : saisissez une nouvelle écriture")
            return None
        if contract is not None and info.contract is not None and contract != info.contract:
            fail("cancels", f"l’écriture « {target} » est celle d’un autre contrat")
            return None
        if debit is None or credit is None:
            return None  # the target's own error is reported on its row
        amount = debit or credit
        if info.amount is not None and info.amount != amount:
            fail("amount", f"une annulation reprend le montant de l’écriture annulée ({amount})")
            return None
        if day is not None and info.date is not None and info.date < day:
            fail("date", f"l’annulation précède l’écriture annulée ({_d(day)})")
            return None
        # The reversal takes the opposite side of the entry it cancels.
        info.debit, info.credit = credit, debit
        reversed_by[target].append(info.row)
        return target, period


def _call_split(amount: Decimal, contract: ContractInfo | None) -> tuple[Decimal, Decimal]:
    """Rent and charges of an imported rent call: the contract's when the amount is a full
    month, else in the contract's proportion (charges rounded to the cent)."""
    if contract is None or contract.rent is None:
        return amount, Decimal("0")
    charges = contract.charges or Decimal("0")
    monthly = contract.rent + charges
    if amount == monthly or monthly <= 0:
        return (contract.rent, charges) if amount == monthly else (amount, Decimal("0"))
    part = (amount * charges / monthly).quantize(Decimal("0.01"))
    return amount - part, part
