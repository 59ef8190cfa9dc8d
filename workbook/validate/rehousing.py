"""The road out: demandes de logement, propositions, mesures, suivis après la sortie
(docs/workbook-rehousing.md).

The rules of ``rehousing.models`` (the NUR's format, the order of the dates, a refusal and its
reason, a dated answer, one follow-up per milestone) and of ``rehousing.services`` (no date in
the future, a commission that has not sat has not decided, a follow-up after the exit) are
checked here, each with its French message, so that no row reaches a database constraint. The
services' « the household is still followed » is not: the workbook carries history, and the
demand of a household that has left since is part of it.

A demand is the household's (one each, matched by ``menage``); a follow-up by (``menage``,
``months``); proposals and measures by their ``ref`` (the operator's, or the public identifier
the export writes for a row made in the application). Reads ``household_info`` and
``household_ref`` (``households``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError

from iml.codes import FOLLOW_UP_MONTHS, CalDecision, ProposalAnswer
from iml.formats import fr_date as _d
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal, validate_nur
from support.models import Partner
from workbook.validate.plan import Link, Planner, Row, _key

# column -> (model field, value of an empty cell)
DEMAND_COLUMNS = {
    "renewed_date": ("renewed_on", None),
    "cities": ("communes", ""),
    "typologies": ("typologies", []),
    "syplo_date": ("syplo_on", None),
    "dalo_date": ("dalo_on", None),
    "accord_collectif": ("accord_collectif", False),
    "contingent_prefectoral": ("contingent_prefectoral", False),
    "closed_date": ("closed_on", None),
    "note": ("note", ""),
}
PROPOSAL_COLUMNS = {
    "rent": ("rent", None),
    "cal_date": ("cal_on", None),
    "cal_decision": ("cal_decision", CalDecision.EN_ATTENTE),
    "answer": ("answer", ProposalAnswer.EN_ATTENTE),
    "answer_date": ("answered_on", None),
    "refusal_reason": ("refusal_reason", ""),
    "move_in_date": ("move_in_on", None),
    "note": ("note", ""),
}
MEASURE_COLUMNS = {
    "funder": ("funder", ""),
    "end_date": ("end_on", None),
    "handover_date": ("handover_on", None),
    "handover_to": ("handover_to", ""),
    "note": ("note", ""),
}
FOLLOW_UP_COLUMNS = {
    "housed": ("housed", None),
    "debts": ("debts", None),
    "needs": ("needs", ""),
}


class RehousingChecks(Planner):
    # Set by the households' checks.
    household_ref: dict[int, str]
    household_info: dict[str, Any]

    def load_rehousing(self) -> None:
        self.demands = {
            self.household_ref.get(d.household_id): d for d in HousingDemand.objects.all()
        }
        self.proposals = {_key(p): p for p in Proposal.objects.all()}
        self.measures = {_key(m): m for m in Measure.objects.all()}
        self.follow_ups = {
            (self.household_ref.get(f.household_id), f.months): f for f in FollowUp.objects.all()
        }

    # -- shared --

    def _fields(self, sheet: str, row: Row, obj, columns: dict) -> tuple[dict, dict]:
        """The row's fields for the present optional columns, and the effective values (the
        row's, else the recorded row's, else the empty ones) the rules read."""
        fields: dict[str, Any] = {}
        effective: dict[str, Any] = {}
        for column, (name, empty) in columns.items():
            if self.has(sheet, column):
                fields[name] = effective[name] = row.get(column, empty)
            else:
                effective[name] = getattr(obj, name) if obj is not None else empty
        return fields, effective

    def _not_future(self, sheet: str, row: Row, column: str, day, what: str) -> bool:
        if day is not None and day > self.today:
            self.error(sheet, row.number, column, f"{what} ({_d(day)}) est dans le futur")
            return False
        return True

    def _after(self, sheet: str, row: Row, column: str, later, earlier, message: str) -> bool:
        """``later`` is not before ``earlier`` (either may be unknown)."""
        if later is not None and earlier is not None and later < earlier:
            self.error(sheet, row.number, column, message.format(_d(later), _d(earlier)))
            return False
        return True

    def _household(self, sheet: str, row: Row) -> str | None:
        """The row's household when it is known and its own row is valid (else its errors are
        already listed)."""
        household = self.known(sheet, row, "menage", "menages", self.household_info)
        if household is None or not self.household_info[household].valid:
            return None
        return household

    # -- demandes de logement --

    def check_demands(self) -> None:
        sheet = "demandes_logement"
        for row in self.sheet_rows(sheet):
            household = self.unique_household(sheet, row)
            if household is None:
                continue
            number = row.get("number")
            if number is not None:
                try:
                    validate_nur(number)
                except ValidationError as error:
                    message = " ".join(error.messages)
                    self.error(
                        sheet, row.number, "number", message[0].lower() + message[1:].rstrip(".")
                    )
                    row.bad.add("number")
            obj = self.demands.get(household)
            fields, eff = self._fields(sheet, row, obj, DEMAND_COLUMNS)
            filed = row.get("filed_date")
            checks = [self._not_future(sheet, row, "filed_date", filed, "le dépôt")]
            for column, name, what in (
                ("renewed_date", "renewed_on", "le renouvellement"),
                ("closed_date", "closed_on", "la clôture"),
                ("syplo_date", "syplo_on", "l’inscription au SYPLO"),
                ("dalo_date", "dalo_on", "la reconnaissance DALO"),
            ):
                checks.append(self._not_future(sheet, row, column, eff[name], what))
            checks.append(
                self._after(
                    sheet,
                    row,
                    "renewed_date",
                    eff["renewed_on"],
                    filed,
                    "le renouvellement ({}) précède le dépôt ({})",
                )
            )
            checks.append(
                self._after(
                    sheet,
                    row,
                    "closed_date",
                    eff["closed_on"],
                    filed,
                    "la clôture ({}) précède le dépôt ({})",
                )
            )
            if row.bad or not all(checks):
                continue
            fields.update(
                {"household": Link("menages", household), "number": number, "filed_on": filed}
            )
            self.plan(sheet, row, household, obj, fields)

    def unique_household(self, sheet: str, row: Row) -> str | None:
        """The demand's household, once in the sheet."""
        household = self._household(sheet, row)
        if household is None:
            return None
        first = self.seen[sheet].get(household)
        if first is not None:
            self.error(
                sheet,
                row.number,
                "menage",
                f"le ménage « {household} » a déjà une demande (ligne {first}) : une demande "
                "par ménage",
            )
            return None
        self.seen[sheet][household] = row.number
        return household

    # -- propositions --

    def check_proposals(self) -> None:
        sheet = "propositions"
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            household = self._household(sheet, row)
            if ref is None or household is None or row.bad:
                continue
            received = row.get("received_date")
            obj = self.proposals.get(ref)
            fields, eff = self._fields(sheet, row, obj, PROPOSAL_COLUMNS)
            if not self._proposal_rules(sheet, row, received, eff):
                continue
            fields.update(
                {
                    "household": Link("menages", household),
                    "landlord": row.get("landlord"),
                    "parc": row.get("parc"),
                    "address": row.get("address"),
                    "city": row.get("city"),
                    "typology": row.get("typology"),
                    "received_on": received,
                }
            )
            fields["ref"] = ref
            self.plan(sheet, row, ref, obj, fields)

    def _proposal_rules(self, sheet: str, row: Row, received, eff: dict) -> bool:
        answer, answered = eff["answer"], eff["answered_on"]
        reason, cal, decision = eff["refusal_reason"], eff["cal_on"], eff["cal_decision"]
        ok = self._not_future(sheet, row, "received_date", received, "la proposition")
        ok &= self._not_future(sheet, row, "answer_date", answered, "la réponse")

        def fail(column: str, message: str) -> None:
            nonlocal ok
            ok = False
            self.error(sheet, row.number, column, message)

        if answer != ProposalAnswer.EN_ATTENTE and answered is None:
            fail("answer_date", "une réponse du ménage a une date : indiquez quand il a répondu")
        elif answer == ProposalAnswer.EN_ATTENTE and answered is not None:
            fail(
                "answer_date",
                "une date de réponse sans réponse du ménage (answer vide ou en_attente)",
            )
        if answer == ProposalAnswer.REFUSEE and not reason:
            fail("refusal_reason", "un refus du ménage a un motif")
        elif answer != ProposalAnswer.REFUSEE and reason:
            fail("refusal_reason", "seul un refus du ménage a un motif (answer : refusee)")
        if cal is not None and cal > self.today and decision != CalDecision.EN_ATTENTE:
            fail(
                "cal_decision",
                f"la commission n’a pas encore siégé (le {_d(cal)}) : sa décision est "
                "« en_attente »",
            )
        ok &= self._after(
            sheet, row, "cal_date", cal, received, "la commission ({}) précède la proposition ({})"
        )
        ok &= self._after(
            sheet,
            row,
            "answer_date",
            answered,
            received,
            "la réponse ({}) précède la proposition ({})",
        )
        return ok

    # -- mesures --

    def check_measures(self) -> None:
        sheet = "mesures"
        rows = self.sheet_rows(sheet)
        if not rows:
            return
        partners = dict(Partner.objects.values_list("name", "pk"))
        for row in rows:
            ref = self.unique(sheet, row, "ref")
            household = self._household(sheet, row)
            partner = row.get("partner")
            if partner is not None and partner not in partners:
                self.error(
                    sheet,
                    row.number,
                    "partner",
                    f"partenaire inconnu « {partner[:60]} » : ajoutez-le aux partenaires de "
                    "l’organisation (même nom) avant l’import, ou laissez vide",
                )
                row.bad.add("partner")
            if ref is None or household is None or row.bad:
                continue
            start = row.get("start_date")
            obj = self.measures.get(ref)
            fields, eff = self._fields(sheet, row, obj, MEASURE_COLUMNS)
            ok = obj is not None or self._not_future(sheet, row, "start_date", start, "le début")
            ok &= self._not_future(
                sheet, row, "handover_date", eff["handover_on"], "le passage de relais"
            )
            ok &= self._after(
                sheet, row, "end_date", eff["end_on"], start, "la fin ({}) précède le début ({})"
            )
            if not ok:
                continue
            if self.has(sheet, "partner"):
                fields["partner_id"] = partners[partner] if partner is not None else None
            fields.update(
                {"ref": ref, "household": Link("menages", household), "kind": row.get("kind"),
                 "start_on": start}
            )  # fmt: skip
            self.plan(sheet, row, ref, obj, fields)

    # -- suivis après la sortie --

    def check_follow_ups(self) -> None:
        sheet = "suivis_sortie"
        for row in self.sheet_rows(sheet):
            household = self._household(sheet, row)
            months = row.get("months")
            if months is not None and months not in FOLLOW_UP_MONTHS:
                allowed = ", ".join(str(m) for m in FOLLOW_UP_MONTHS[:-1])
                self.error(
                    sheet,
                    row.number,
                    "months",
                    f"{months} : les suivis après la sortie sont à {allowed} ou "
                    f"{FOLLOW_UP_MONTHS[-1]} mois",
                )
                continue
            if household is None or row.bad:
                continue
            seen = f"{household}|{months}"
            first = self.seen[sheet].get(seen)
            if first is not None:
                self.error(
                    sheet,
                    row.number,
                    "months",
                    f"le suivi à {months} mois du ménage « {household} » est déjà donné "
                    f"(ligne {first}) : un suivi par échéance",
                )
                continue
            self.seen[sheet][seen] = row.number
            exit_date: datetime.date | None = self.household_info[household].exit
            contact = row.get("contact_date")
            if exit_date is None:
                self.error(
                    sheet,
                    row.number,
                    "menage",
                    f"le ménage « {household} » n’est pas sorti du dispositif : le suivi après "
                    "la sortie concerne un ménage sorti",
                )
                continue
            ok = self._not_future(sheet, row, "contact_date", contact, "le contact")
            ok &= self._after(
                sheet,
                row,
                "contact_date",
                contact,
                exit_date,
                "le contact ({}) précède la sortie du ménage ({})",
            )
            if not ok:
                continue
            obj = self.follow_ups.get((household, months))
            fields, _eff = self._fields(sheet, row, obj, FOLLOW_UP_COLUMNS)
            fields.update(
                {"household": Link("menages", household), "months": months, "contacted_on": contact}
            )
            self.plan(sheet, row, seen, obj, fields)
