"""Households: ménages, personnes, ressources, emplois.

Provides ``household_info`` and ``person_info``: the households (dispositif, stay) and persons
(household, role) of the workbook and the organisation, for the sheets that refer to them.
Reads ``dispositif_codes`` (``organisation``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from households.models import (
    EmploymentRecord,
    Household,
    Person,
    ResourceRecord,
    is_adult_role,
)
from households.services import resources_compatible
from households.stays import present_on
from iml.codes import BAIL_GLISSANT_DESTINATIONS, PersonRole
from iml.formats import fr_date as _d
from workbook.validate.plan import Link, Planner, Row, _key


@dataclass(slots=True)
class HouseholdInfo:
    dispositif: str | None
    entry: datetime.date | None
    exit: datetime.date | None
    valid: bool = True


@dataclass(slots=True)
class PersonInfo:
    household: str | None
    role: str | None


class HouseholdChecks(Planner):
    def load_households(self) -> None:
        pks = self.result.pks
        self.households = {h.reference: h for h in Household.objects.all()}
        pks["menages"] = {ref: h.pk for ref, h in self.households.items()}
        self.household_ref = {h.pk: ref for ref, h in self.households.items()}

        self.persons = {_key(p): p for p in Person.objects.all()}
        pks["personnes"] = {key: p.pk for key, p in self.persons.items()}
        self.person_ref = {p.pk: key for key, p in self.persons.items()}

    # -- ménages --

    def check_households(self) -> None:
        sheet = "menages"
        self.household_info: dict[str, HouseholdInfo] = {
            ref: HouseholdInfo(self.dispositif_code.get(h.dispositif_id), h.entry_date, h.exit_date)
            for ref, h in self.households.items()
        }
        optional = {
            "siao_ref": ("siao_reference", ""),
            "orienting_structure": ("orienting_structure", ""),
            "prior_situation": ("prior_situation", ""),
            "reinforced": ("reinforced_support", False),
            "entry_date": ("entry_date", None),
            "exit_date": ("exit_date", None),
            "exit_destination": ("exit_destination", ""),
            "bail_glissant": ("bail_glissant", False),
            "exit_support": ("exit_support", []),
            "withdrawal_date": ("withdrawal_date", None),
            "withdrawal_reason": ("withdrawal_reason", ""),
        }
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            obj = self.households.get(ref)
            dispositif = self.known(sheet, row, "dispositif", "dispositifs", self.dispositif_codes)
            fields: dict[str, Any] = {"reference": ref}
            if dispositif is not None:
                fields["dispositif"] = Link("dispositifs", dispositif)
            for column, (name, default) in optional.items():
                if self.has(sheet, column):
                    fields[name] = row.get(column, default)
            effective = {
                name: (getattr(obj, name) if obj else default)
                for name, default in optional.values()
            }
            effective.update({k: v for k, v in fields.items() if k in effective})
            entry, exit_ = effective["entry_date"], effective["exit_date"]
            orientation = row.get("orientation_date")
            if orientation is None and obj is not None and not self.has(sheet, "orientation_date"):
                orientation = obj.orientation_date
            # An empty orientation date stays empty: a data-quality gap of the report, never
            # a guess (no entry date copied into it).
            fields["orientation_date"] = orientation
            info = HouseholdInfo(dispositif, entry, exit_, valid=False)
            self.household_info[ref] = info
            problems = self._household_rules(sheet, row, effective, orientation)
            info.valid = not problems and not row.bad and dispositif is not None
            if info.valid:
                self.plan(sheet, row, ref, obj, fields)

    def _household_rules(self, sheet, row: Row, eff: dict, orientation) -> bool:
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        entry, exit_ = eff["entry_date"], eff["exit_date"]
        withdrawal, reason = eff["withdrawal_date"], eff["withdrawal_reason"]
        if entry and orientation and entry < orientation:
            fail(
                "entry_date",
                f"l’entrée ({_d(entry)}) précède l’orientation ({_d(orientation)})",
            )
        if exit_ and not entry:
            fail("exit_date", "une sortie suppose une date d’entrée")
        elif exit_ and entry and exit_ < entry:
            fail("exit_date", f"la sortie ({_d(exit_)}) précède l’entrée ({_d(entry)})")
        if not exit_:
            for column, name in (
                ("exit_destination", "exit_destination"),
                ("bail_glissant", "bail_glissant"),
                ("exit_support", "exit_support"),
            ):
                if eff[name]:
                    fail(column, "renseigné sans date de sortie")
        if eff["bail_glissant"] and eff["exit_destination"] not in BAIL_GLISSANT_DESTINATIONS:
            fail(
                "exit_destination",
                "un bail glissant mène à un logement autonome (logement_social ou logement_prive)",
            )
        # A date without reason is history (counted under « inconnu »); not the reverse.
        if reason and not withdrawal:
            fail("withdrawal_date", "un motif de retrait suppose une date de retrait")
        if withdrawal and entry:
            fail("withdrawal_date", "un ménage retiré de la liste d’attente n’est jamais entré")
        if withdrawal and orientation and withdrawal < orientation:
            fail(
                "withdrawal_date",
                f"le retrait ({_d(withdrawal)}) précède l’orientation ({_d(orientation)})",
            )
        return problems

    # -- personnes --

    def check_persons(self) -> None:
        sheet = "personnes"
        self.person_info: dict[str, PersonInfo] = {
            key: PersonInfo(self.household_ref.get(p.household_id), p.role)
            for key, p in self.persons.items()
        }
        referents: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        in_workbook: set[str] = set()
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            in_workbook.add(ref)
            if ";" in ref:
                self.error(sheet, row.number, "ref", "une ref de personne ne contient pas « ; »")
                continue
            obj = self.persons.get(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            self.person_info[ref] = PersonInfo(household, row.get("role"))
            if household is None or row.bad:
                continue
            fields: dict[str, Any] = {
                "ref": ref,
                "household": Link("menages", household),
                "last_name": row.get("last_name"),
                "first_name": row.get("first_name"),
                "sex": row.get("sex"),
                "birth_date": row.get("birth_date"),
                "role": row.get("role"),
            }
            for column, default in (
                ("nationality", ""),
                ("protection_status", ""),
                ("joined_date", None),
                ("left_date", None),
            ):
                if self.has(sheet, column):
                    fields[column] = row.get(column, default)
            joined = fields.get("joined_date", obj.joined_date if obj else None)
            left = fields.get("left_date", obj.left_date if obj else None)
            if self._person_rules(sheet, row, self.household_info[household], joined, left):
                continue
            if fields["role"] == PersonRole.REFERENT:
                referents[household].append((row.number, ref))
            self.plan(sheet, row, ref, obj, fields)
        for key, person in self.persons.items():
            if key not in in_workbook and person.role == PersonRole.REFERENT:
                household = self.household_ref.get(person.household_id)
                referents[household].insert(0, (None, key))
        for household, rows in referents.items():
            first = rows[0]
            for number, _ref in rows[1:]:
                if number is not None:
                    where = f"ligne {first[0]}" if first[0] else f"« {first[1]} », déjà enregistrée"
                    self.error(
                        sheet,
                        number,
                        "role",
                        f"le ménage « {household} » a déjà une personne de référence ({where})",
                    )

    def _person_rules(self, sheet, row: Row, household: HouseholdInfo, joined, left) -> bool:
        problems = False

        def fail(column: str, message: str) -> None:
            nonlocal problems
            problems = True
            self.error(sheet, row.number, column, message)

        birth = row.get("birth_date")
        if birth and birth > self.today:
            fail("birth_date", "date de naissance dans le futur")
        if joined and birth and joined < birth:
            fail("joined_date", "l’arrivée précède la naissance")
        if joined and left and left < joined:
            fail("left_date", f"le départ ({_d(left)}) précède l’arrivée ({_d(joined)})")
        entry, exit_ = household.entry, household.exit
        stay = f"entrée le {_d(entry)}" + (f", sortie le {_d(exit_)}" if exit_ else "")
        if (joined or left) and entry is None and household.valid:
            fail(
                "joined_date" if joined else "left_date",
                "le ménage n’est pas entré dans le dispositif : laissez les dates d’arrivée "
                "et de départ vides",
            )
        elif entry is not None:
            if joined and not present_on(entry, exit_, joined):
                fail(
                    "joined_date",
                    f"arrivée le {_d(joined)}, hors du séjour du ménage ({stay})",
                )
            if left and (left <= (joined or entry) or (exit_ and left > exit_)):
                fail("left_date", f"départ le {_d(left)}, hors du séjour du ménage ({stay})")
        return problems

    # -- ressources, emplois --

    def check_resources(self) -> None:
        sheet = "ressources"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        existing: dict[tuple, list] = defaultdict(list)
        for record in ResourceRecord.objects.order_by("date", "pk"):
            key = (self.household_ref.get(record.household_id), record.date)
            existing[key].append(record)
        occurrence: dict[tuple, int] = defaultdict(int)
        for row in rows:
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            resources = row.get("resources")
            if resources and not resources_compatible(resources):
                self.error(
                    sheet, row.number, "resources", "« aucune » ne se combine avec aucune autre"
                )
                continue
            if household is None or row.bad:
                continue
            key = (household, row.get("date"))
            index = occurrence[key]
            occurrence[key] += 1
            matches = existing.get(key, [])
            obj = matches[index] if index < len(matches) else None
            fields = {
                "household": Link("menages", household),
                "date": row.get("date"),
                "resources": resources,
            }
            self.plan(sheet, row, f"{household}|{key[1]}|{index}", obj, fields)

    def check_employments(self) -> None:
        sheet = "emplois"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        existing: dict[tuple, list] = defaultdict(list)
        for record in EmploymentRecord.objects.order_by("date", "pk"):
            existing[(self.person_ref.get(record.person_id), record.date)].append(record)
        occurrence: dict[tuple, int] = defaultdict(int)
        for row in rows:
            person = self.known(sheet, row, "personne", "personnes", self.person_info)
            if person is None or row.bad:
                continue
            if not is_adult_role(self.person_info[person].role):
                self.error(
                    sheet,
                    row.number,
                    "personne",
                    "la situation d’emploi concerne les adultes (cette personne a le rôle enfant)",
                )
                continue
            key = (person, row.get("date"))
            index = occurrence[key]
            occurrence[key] += 1
            matches = existing.get(key, [])
            obj = matches[index] if index < len(matches) else None
            fields = {
                "person": Link("personnes", person),
                "date": row.get("date"),
                "employment": row.get("employment"),
            }
            self.plan(sheet, row, f"{person}|{key[1]}|{index}", obj, fields)
