"""Sublease contracts: contrats (one space per contract at a time), avenants, plans
d'apurement. The ledger (mouvements) is ``ledger``.

Provides ``contract_info``: the contracts of the workbook and the organisation (household,
space, dates, amounts), for the ledger and the plans. Reads ``household_info``
(``households``), ``unit_info`` and ``room_unit`` (``organisation``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from iml.codes import RepaymentPlanStatus
from iml.formats import fr_date as _d
from tenancy.models import Amendment, RepaymentPlan, SubleaseContract, contract_covers
from tenancy.plans import MAX_INSTALMENTS, instalment_count, instalment_due
from workbook.validate.plan import Link, Row, _key
from workbook.validate.renewals import RenewalChecks


@dataclass(slots=True)
class ContractInfo:
    household: str | None
    unit: str | None
    room: str | None
    start: datetime.date | None
    initial_end: datetime.date | None
    actual_end: datetime.date | None
    rent: Decimal | None
    charges: Decimal | None
    row: int | None = None  # in the workbook (None: recorded in the application)


class TenancyChecks(RenewalChecks):
    def load_tenancy(self) -> None:
        pks = self.result.pks
        self.contracts = {c.reference: c for c in SubleaseContract.objects.all()}
        pks["contrats"] = {ref: c.pk for ref, c in self.contracts.items()}
        self.contract_ref = {c.pk: ref for ref, c in self.contracts.items()}

        self.plans = {_key(p): p for p in RepaymentPlan.objects.all()}
        pks["plans_apurement"] = {key: p.pk for key, p in self.plans.items()}

    # -- contrats --

    def check_contracts(self) -> None:
        sheet = "contrats"
        self.contract_info: dict[str, ContractInfo] = {
            ref: ContractInfo(
                self.household_ref.get(c.household_id),
                self.unit_ref.get(c.unit_id),
                self.room_ref.get(c.room_id) if c.room_id else None,
                c.start_date,
                c.initial_end_date,
                c.actual_end_date,
                c.rent,
                c.charges,
            )
            for ref, c in self.contracts.items()
        }
        checked: list[tuple[Row, str]] = []
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            obj = self.contracts.get(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            unit = self.known(sheet, row, "logement", "logements", self.unit_info)
            room = None
            if row.get("chambre") is not None:
                room = self.known(sheet, row, "chambre", "chambres", self.room_unit)
                if room is not None and unit is not None and self.room_unit.get(room) != unit:
                    self.error(
                        sheet,
                        row.number,
                        "chambre",
                        f"la chambre « {room} » n’est pas dans le logement « {unit} »",
                    )
                    room = None
                    row.bad.add("chambre")
            start, end = row.get("start_date"), row.get("end_date")
            actual_end = row.get("actual_end_date")
            if not self.has(sheet, "actual_end_date") and obj is not None:
                actual_end = obj.actual_end_date
            charges = row.get("charges", Decimal("0"))
            if not self.has(sheet, "charges") and obj is not None:
                charges = obj.charges
            info = ContractInfo(
                household, unit, room, start, end, actual_end, row.get("rent"), charges, row.number
            )
            self.contract_info[ref] = info
            if household is None or unit is None or row.bad:
                info.row = None if row.bad else info.row
                continue
            if self._contract_rules(sheet, row, info):
                continue
            fields: dict[str, Any] = {
                "reference": ref,
                "household": Link("menages", household),
                "unit": Link("logements", unit),
                "room": Link("chambres", room) if room else None,
                "start_date": start,
                "initial_end_date": end,
                "rent": row.get("rent"),
            }
            for column, default in (("charges", Decimal("0")), ("deposit", Decimal("0"))):
                if self.has(sheet, column):
                    fields[column] = row.get(column, default)
            if self.has(sheet, "actual_end_date"):
                fields["actual_end_date"] = actual_end
            checked.append((row, ref))
            self.plan(sheet, row, ref, obj, fields)
        self._check_overlaps(sheet)

    def _contract_rules(self, sheet, row: Row, info: ContractInfo) -> bool:
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        start, end, actual_end = info.start, info.initial_end, info.actual_end
        if end <= start:
            fail("end_date", f"la fin de la période initiale ({_d(end)}) doit suivre le début")
        if actual_end is not None and actual_end < start:
            fail("actual_end_date", f"la fin effective ({_d(actual_end)}) précède le début")
        household = self.household_info[info.household]
        unit = self.unit_info[info.unit]
        if household.dispositif and unit.dispositif and household.dispositif != unit.dispositif:
            fail(
                "logement",
                f"le logement relève du dispositif {unit.dispositif}, le ménage de "
                f"{household.dispositif}",
            )
        if household.valid:
            if household.entry is None:
                fail("menage", "le ménage n’est pas entré dans le dispositif")
            elif start < household.entry:
                fail(
                    "start_date",
                    f"le contrat commence avant l’entrée du ménage ({_d(household.entry)})",
                )
            if household.exit is not None:
                if start >= household.exit and not (start == household.exit == actual_end):
                    fail(
                        "start_date",
                        f"le contrat commence après la sortie du ménage ({_d(household.exit)})",
                    )
                elif actual_end is None:
                    fail(
                        "actual_end_date",
                        f"le ménage est sorti le {_d(household.exit)} : indiquez la fin effective",
                    )
                elif actual_end > household.exit:
                    fail(
                        "actual_end_date",
                        f"le contrat finit après la sortie du ménage ({_d(household.exit)})",
                    )
        if unit.captation is not None and start < unit.captation:
            fail("start_date", f"le logement n’est capté que le {_d(unit.captation)}")
        if unit.returned is not None:
            if start >= unit.returned and not (start == unit.returned == actual_end):
                fail("start_date", f"le logement est restitué le {_d(unit.returned)}")
            elif actual_end is None or actual_end > unit.returned:
                fail(
                    "actual_end_date",
                    f"le logement est restitué le {_d(unit.returned)} : le contrat doit finir "
                    "au plus tard ce jour-là",
                )
        return problems

    def _check_overlaps(self, sheet: str) -> None:
        """Two contracts on one space (same unit or room, or the whole unit and a room of it)
        must not cover a common day: the workbook's, and the organisation's others."""
        by_unit: dict[str, list[tuple[str, ContractInfo]]] = defaultdict(list)
        for ref, info in self.contract_info.items():
            if info.unit is None or info.start is None:
                continue
            if ref in self.seen[sheet] and info.row is None:
                continue  # a workbook row with errors already reported
            by_unit[info.unit].append((ref, info))
        far = datetime.date.max
        for contracts in by_unit.values():
            if not any(info.row for _, info in contracts):
                continue
            contracts.sort(key=lambda item: item[1].start)
            for index, (ref, info) in enumerate(contracts):
                end = info.actual_end or far
                if end <= info.start:
                    continue  # an empty period covers no day
                for other_ref, other in contracts[index + 1 :]:
                    if other.start >= end:
                        break
                    other_end = other.actual_end or far
                    if other_end <= other.start:
                        continue
                    if info.room and other.room and info.room != other.room:
                        continue
                    if info.row is None and other.row is None:
                        continue
                    if info.row and other.row:
                        row, against, where = other.row, ref, f"ligne {info.row}"
                    elif other.row:
                        row, against, where = other.row, ref, "déjà enregistré"
                    else:
                        row, against, where = info.row, other_ref, "déjà enregistré"
                    space = (
                        f"la chambre « {info.room} »"
                        if info.room and info.room == other.room
                        else f"le logement « {info.unit} »"
                    )
                    self.error(
                        sheet,
                        row,
                        "start_date",
                        f"{space} est déjà sous-loué sur ces dates (contrat « {against} », "
                        f"{where})",
                    )

    # -- avenants --

    def check_amendments(self) -> None:
        if not self.sheet_rows("avenants"):
            return
        existing: dict[str, list] = defaultdict(list)
        for amendment in Amendment.objects.order_by("contract_id", "number"):
            existing[self.contract_ref.get(amendment.contract_id)].append(amendment)

        def term(ref: str):
            info = self.contract_info[ref]
            household = self.household_info.get(info.household)
            stay_start = (household.entry if household else None) or info.start
            return info.start, info.initial_end, stay_start

        self._amendment_chain("avenants", "contrat", "contrats", self.contract_info, existing, term)

    # -- plans d'apurement --

    def check_plans(self) -> None:
        sheet = "plans_apurement"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        contracts_of: dict[str, list[tuple[str, ContractInfo]]] = defaultdict(list)
        for ref, info in self.contract_info.items():
            if info.household is not None and info.start is not None:
                contracts_of[info.household].append((ref, info))
        active: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        in_workbook: set[str] = set()
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            in_workbook.add(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            if household is None or row.bad:
                continue
            obj = self.plans.get(ref)
            start, total, monthly = (
                row.get("start_date"),
                row.get("total"),
                row.get("monthly_amount"),
            )
            status = row.get("status", RepaymentPlanStatus.ACTIF)
            if not self.has(sheet, "status") and obj is not None:
                status = obj.status
            problems = False
            if total <= 0:
                self.error(sheet, row.number, "total", "la dette à apurer est positive")
                problems = True
            if monthly <= 0:
                self.error(sheet, row.number, "monthly_amount", "la mensualité est positive")
                problems = True
            if problems:
                continue
            count = instalment_count(total, monthly)
            if count > MAX_INSTALMENTS:
                self.error(
                    sheet,
                    row.number,
                    "monthly_amount",
                    f"avec cette mensualité, le plan durerait {count} mois "
                    f"(au plus {MAX_INSTALMENTS})",
                )
                continue
            contract = _contract_at(contracts_of.get(household, []), start)
            if obj is not None:
                current = self.contract_ref.get(obj.contract_id)
                if self.contract_info.get(current) and (
                    self.contract_info[current].household == household
                ):
                    contract = current  # the plan stays on its contract
            if contract is None:
                self.error(
                    sheet,
                    row.number,
                    "menage",
                    f"le ménage n’a aucun contrat de sous-location au {_d(start)}",
                )
                continue
            fields: dict[str, Any] = {
                "ref": ref,
                "contract": Link("contrats", contract),
                "signed_on": start,
                "debt": total,
                "instalment": monthly,
                "status": status,
            }
            if obj is None or obj.signed_on != start:
                fields["first_due_date"] = start
            if status == RepaymentPlanStatus.ACTIF:
                fields["closed_on"] = None
                active[contract].append((row.number, ref))
            elif obj is None or obj.closed_on is None:
                last_due = instalment_due(start, count)
                fields["closed_on"] = max(start, min(self.today, last_due))
            reschedule = obj is not None and (
                obj.debt != total or obj.instalment != monthly or obj.signed_on != start
            )
            self.plan(
                sheet,
                row,
                ref,
                obj,
                fields,
                extra={"count": count, "reschedule": reschedule, "changed": reschedule},
            )
        for key, plan in self.plans.items():
            if key not in in_workbook and plan.status == RepaymentPlanStatus.ACTIF:
                active[self.contract_ref.get(plan.contract_id)].insert(0, (None, key))
        for contract, plans in active.items():
            for number, _ref in plans[1:]:
                if number is not None:
                    first = plans[0]
                    where = f"ligne {first[0]}" if first[0] else f"« {first[1]} »"
                    self.error(
                        sheet,
                        number,
                        "status",
                        f"le contrat « {contract} » a déjà un plan actif ({where})",
                    )


def _contract_at(contracts: list[tuple[str, ContractInfo]], day: datetime.date) -> str | None:
    """The household's contract running on ``day``, else its last one started before."""
    started = sorted(
        (item for item in contracts if item[1].start <= day), key=lambda item: item[1].start
    )
    for ref, info in reversed(started):
        if contract_covers(info.start, info.actual_end, day):
            return ref
    return started[-1][0] if started else None
