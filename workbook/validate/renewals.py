"""Renewals (avenants) of sublease and support contracts: one chain per contract, and the
stay's 18-month limit (``households.stays``), beyond which an amendment is flagged and
justified.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from households.stays import beyond_limit
from iml.formats import fr_date as _d
from workbook.validate.plan import Link, Planner, Row

JUSTIFICATION = "Reprise de l’historique (classeur d’échange)."


class RenewalChecks(Planner):
    def _amendment_chain(
        self,
        sheet: str,
        parent_column: str,
        parent_sheet: str,
        parents: dict[str, Any],
        existing: dict[str, list],
        term,
    ) -> None:
        """Renewals of a contract, in date order: each after the contract's start and later
        than the term it extends; numbered 1, 2… in that order (matched on the number)."""
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in self.sheet_rows(sheet):
            parent = self.known(sheet, row, parent_column, parent_sheet, parents)
            if parent is None or row.bad:
                continue
            groups[parent].append(row)
        for parent, rows in groups.items():
            start, end, stay_start = term(parent)
            rows.sort(key=lambda r: (r.get("date"), r.get("new_end_date"), r.number))
            previous = end
            for number, row in enumerate(rows, start=1):
                day, new_end = row.get("date"), row.get("new_end_date")
                problems = False
                if start is not None and day < start:
                    self.error(
                        sheet,
                        row.number,
                        "date",
                        f"l’avenant ({_d(day)}) précède le contrat ({_d(start)})",
                    )
                    problems = True
                if previous is not None and new_end <= previous:
                    self.error(
                        sheet,
                        row.number,
                        "new_end_date",
                        f"la nouvelle fin ({_d(new_end)}) doit suivre la fin qu’il prolonge "
                        f"({_d(previous)})",
                    )
                    problems = True
                previous = new_end
                if problems:
                    continue
                beyond = stay_start is not None and beyond_limit(new_end, stay_start)
                matches = existing.get(parent, [])
                obj = matches[number - 1] if number <= len(matches) else None
                fields: dict[str, Any] = {
                    "contract": Link(parent_sheet, parent),
                    "number": number,
                    "signed_on": day,
                    "new_end_date": new_end,
                    "beyond_limit": beyond,
                }
                if beyond and (obj is None or not obj.justification):
                    fields["justification"] = JUSTIFICATION
                self.plan(sheet, row, f"{parent}|{number}", obj, fields)
