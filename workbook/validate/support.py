"""Support: accompagnements, avenants d'accompagnement, interactions, ateliers.

Staff are named by e-mail (``support.staff``): a member of the organisation, former ones
included, is linked; anyone else is kept as written (« hors équipe »), never guessed. Reads
``household_info`` and ``person_info`` (``households``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from households.stays import present_on
from iml.formats import fr_date as _d
from iml.models import Membership, normalize_email
from support.models import (
    Interaction,
    InteractionStaff,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
    WorkshopParticipant,
)
from workbook.validate.plan import Link, Row, _key
from workbook.validate.renewals import RenewalChecks

# A plausible e-mail address (the workbook names staff by e-mail).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SupportChecks(RenewalChecks):
    def load_support(self) -> None:
        pks = self.result.pks
        self.supports = {_key(s): s for s in SupportContract.objects.all()}
        pks["accompagnements"] = {key: s.pk for key, s in self.supports.items()}
        self.support_ref = {s.pk: key for key, s in self.supports.items()}

        self.workshops = {_key(w): w for w in Workshop.objects.all()}
        pks["ateliers"] = {key: w.pk for key, w in self.workshops.items()}

    # -- accompagnements --

    def staff_emails(self, sheet: str, row: Row, column: str, emails: list[str]):
        """E-mails naming people: (user ids of the members, the others as written,
        normalised). A value that is no e-mail address is an error."""
        if not hasattr(self, "members"):
            # Members, former ones included: their history is theirs (a former member has an
            # account, which the link does not reactivate).
            self.members = {
                normalize_email(email): user_id
                for email, user_id in Membership.objects.values_list("user__email", "user_id")
            }
        users, others = [], []
        for email in emails:
            address = normalize_email(email)
            if not EMAIL.match(address) or len(address) > 254:
                self.error(
                    sheet, row.number, column, f"« {email[:80]} » n’est pas une adresse e-mail"
                )
                row.bad.add(column)
            elif address in self.members:
                users.append(self.members[address])
            else:
                others.append(address)
        return sorted(set(users)), sorted(set(others))

    def check_supports(self) -> None:
        sheet = "accompagnements"
        self.support_info: dict[str, tuple] = {
            key: (self.household_ref.get(s.household_id), s.signed_on, s.initial_end_date)
            for key, s in self.supports.items()
        }
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        objectives: dict[int, set[str]] = defaultdict(set)
        for objective in SupportObjective.objects.order_by().values_list("contract_id", "domain"):
            objectives[objective[0]].add(objective[1])
        per_household: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        in_workbook: set[str] = set()
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            in_workbook.add(ref)
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            start, end = row.get("start_date"), row.get("end_date")
            self.support_info[ref] = (household, start, end)
            if household is None or row.bad:
                continue
            obj = self.supports.get(ref)
            if end <= start:
                self.error(sheet, row.number, "end_date", "la fin doit suivre le début")
                continue
            info = self.household_info[household]
            if info.valid and not present_on(info.entry, info.exit, start):
                self.error(
                    sheet,
                    row.number,
                    "start_date",
                    f"le ménage n’est pas présent dans le dispositif le {_d(start)} (entrée "
                    f"le {_d(info.entry)}"
                    + (f", sortie le {_d(info.exit)})" if info.exit else ")"),
                )
                continue
            per_household[household].append((row.number, ref))
            fields: dict[str, Any] = {
                "ref": ref,
                "household": Link("menages", household),
                "signed_on": start,
                "initial_end_date": end,
            }
            extra: dict[str, Any] = {}
            if self.has(sheet, "objectives"):
                have = objectives.get(obj.pk, set()) if obj else set()
                missing = sorted(set(row.get("objectives", [])) - have)
                extra = {"objectives": missing, "changed": bool(missing)}
            if self.has(sheet, "referent"):
                # An active member is linked; anyone else is kept as written (hors équipe);
                # empty: none recorded. Never a guess.
                written = [row.get("referent")] if row.get("referent") else []
                users, others = self.staff_emails(sheet, row, "referent", written)
                if row.bad:
                    continue
                fields["referent_id"] = users[0] if users else None
                fields["referent_email"] = others[0] if others else ""
            self.plan(sheet, row, ref, obj, fields, extra=extra)
        for key, support in self.supports.items():
            if key not in in_workbook:
                per_household[self.household_ref.get(support.household_id)].insert(0, (None, key))
        for household, contracts in per_household.items():
            for number, _ref in contracts[1:]:
                if number is not None:
                    first = contracts[0]
                    where = f"ligne {first[0]}" if first[0] else f"« {first[1]} »"
                    self.error(
                        sheet,
                        number,
                        "menage",
                        f"le ménage « {household} » a déjà un contrat d’accompagnement "
                        f"({where}) : renouvelez-le par avenant",
                    )

    # -- avenants d’accompagnement --

    def check_support_amendments(self) -> None:
        if not self.sheet_rows("avenants_accompagnement"):
            return
        existing: dict[str, list] = defaultdict(list)
        for amendment in SupportAmendment.objects.order_by("contract_id", "number"):
            existing[self.support_ref.get(amendment.contract_id)].append(amendment)

        def term(ref: str):
            household_ref, start, end = self.support_info[ref]
            household = self.household_info.get(household_ref)
            stay_start = (household.entry if household else None) or start
            return start, end, stay_start

        self._amendment_chain(
            "avenants_accompagnement",
            "accompagnement",
            "accompagnements",
            self.support_info,
            existing,
            term,
        )

    # -- interactions --

    def check_interactions(self) -> None:
        sheet = "interactions"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        existing: dict[tuple, list] = defaultdict(list)
        for interaction in Interaction.objects.order_by("pk"):
            key = (
                self.household_ref.get(interaction.household_id),
                interaction.date,
                interaction.kind,
            )
            existing[key].append(interaction)
        staff_of: dict[int, set[int]] = defaultdict(set)
        if self.has(sheet, "staff"):
            for interaction_id, user_id in InteractionStaff.objects.values_list(
                "interaction_id", "user_id"
            ):
                staff_of[interaction_id].add(user_id)
        occurrence: dict[tuple, int] = defaultdict(int)
        for row in rows:
            household = self.known(sheet, row, "menage", "menages", self.household_info)
            # Members are linked; anyone else is kept as written (hors équipe).
            staff, others = self.staff_emails(sheet, row, "staff", row.get("staff", []))
            if household is None or row.bad:
                continue
            key = (household, row.get("date"), row.get("type"))
            index = occurrence[key]
            occurrence[key] += 1
            matches = existing.get(key, [])
            obj = matches[index] if index < len(matches) else None
            fields: dict[str, Any] = {
                "household": Link("menages", household),
                "date": key[1],
                "kind": key[2],
            }
            for column, name, default in (
                ("domains", "domains", []),
                ("duration_minutes", "duration_minutes", None),
                ("notes", "notes", ""),
            ):
                if self.has(sheet, column):
                    fields[name] = row.get(column, default)
            extra: dict[str, Any] = {}
            if self.has(sheet, "staff"):
                fields["staff_emails"] = others
                staff_set = set(staff)
                extra = {
                    "staff": sorted(staff_set),
                    "changed": obj is not None and staff_of.get(obj.pk, set()) != staff_set,
                }
            self.plan(sheet, row, f"{household}|{key[1]}|{key[2]}|{index}", obj, fields, extra)

    # -- ateliers --

    def check_workshops(self) -> None:
        sheet = "ateliers"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        participants_of: dict[int, set[str]] = defaultdict(set)
        for workshop_id, person_id in WorkshopParticipant.objects.values_list(
            "workshop_id", "person_id"
        ):
            participants_of[workshop_id].add(self.person_ref.get(person_id))
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            participants = row.get("participants", [])
            for person in participants:
                if person not in self.person_info:
                    self.error(
                        sheet,
                        row.number,
                        "participants",
                        f"participant·e inconnu·e « {person[:50]} » (ni dans la feuille "
                        "personnes, ni dans l’organisation)",
                    )
                    row.bad.add("participants")
            if row.bad:
                continue
            obj = self.workshops.get(ref)
            fields = {"ref": ref, "date": row.get("date"), "title": row.get("title")}
            changed = obj is not None and participants_of.get(obj.pk, set()) != set(participants)
            self.plan(
                sheet,
                row,
                ref,
                obj,
                fields,
                extra={"participants": participants, "changed": changed},
            )
