"""The organisation's data as the interchange workbook: the format the import reads, so that
import then export gives the same rows back (up to their order), and nothing is locked in.

``.xlsx`` (dates as date cells shown ``AAAA-MM-JJ``, amounts as numbers), or a folder of
``<sheet>.csv`` (UTF-8, comma separated, ``YYYY-MM-DD`` and dots). A row recorded in the
application without ``ref`` is written with its public identifier as ``ref``, which the
import matches. Runs as the current organisation.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from households.models import EmploymentRecord, Household, Person, ResourceRecord
from housing.models import HousingUnit, Room
from iml.codes import LedgerKind
from iml.models import Dispositif
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal
from support.models import (
    Interaction,
    InteractionStaff,
    Partner,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
    WorkshopParticipant,
)
from tenancy.models import Amendment, LedgerEntry, RepaymentPlan, SubleaseContract
from workbook import spec
from workbook.values import escape_formula, format_month, format_value


class Month(str):
    """A ``YYYY-MM`` period: text in every format."""


def _key(ref: str, public_id) -> str:
    return ref or str(public_id)


def _rows(organisation) -> Iterator[tuple[str, Iterator[list]]]:
    """(sheet, rows of typed values in the sheet's column order), sheet by sheet."""
    del organisation  # everything below is read through the scoped managers
    dispositif = dict(Dispositif.objects.values_list("pk", "code"))
    units = dict(HousingUnit.objects.values_list("pk", "reference"))
    rooms = dict(Room.objects.values_list("pk", "reference"))
    households = dict(Household.objects.values_list("pk", "reference"))
    persons = {
        pk: _key(ref, pid) for pk, ref, pid in Person.objects.values_list("pk", "ref", "public_id")
    }
    # A contract voided with its admission (``tenancy.services.admission_cancel``) counts
    # nowhere: neither it nor its reversed calls are exported (its household may wait again).
    kept = SubleaseContract.objects.filter(cancelled_at__isnull=True)
    contracts = dict(kept.values_list("pk", "reference"))
    contract_household = dict(kept.values_list("pk", "household_id"))
    supports = {
        pk: _key(ref, pid)
        for pk, ref, pid in SupportContract.objects.values_list("pk", "ref", "public_id")
    }

    yield "dispositifs", (
        [d.code, d.name, d.category, d.zone, d.funder, d.places, d.report_start_month,
         d.age_brackets]
        for d in Dispositif.objects.order_by("code")
    )  # fmt: skip
    yield "logements", (
        [u.reference, dispositif[u.dispositif_id], u.address, u.postcode, u.city, u.sector,
         u.typology, u.places, u.parc, u.landlord.name if u.landlord else "",
         u.management_mode, u.anah_convention, u.colocation, u.rent, u.charges,
         u.captation_date, u.return_date, u.return_reason]
        for u in HousingUnit.objects.select_related("landlord").order_by("reference")
    )  # fmt: skip
    yield (
        "chambres",
        ([r.reference, units[r.unit_id], r.places] for r in Room.objects.order_by("reference")),
    )
    yield "menages", (
        [h.reference, dispositif[h.dispositif_id], h.siao_reference, h.orientation_date,
         h.orienting_structure, h.prior_situation, h.reinforced_support, h.entry_date,
         h.exit_date, h.exit_destination, h.bail_glissant, sorted(h.exit_support),
         h.withdrawal_date, h.withdrawal_reason]
        for h in Household.objects.order_by("reference")
    )  # fmt: skip
    yield "personnes", (
        [persons[p.pk], households[p.household_id], p.last_name, p.first_name, p.sex,
         p.birth_date, p.role, str(p.nationality or ""), p.protection_status, p.joined_date,
         p.left_date]
        for p in Person.objects.order_by("household_id", "pk")
    )  # fmt: skip
    yield (
        "ressources",
        (
            [households[r.household_id], r.date, sorted(r.resources)]
            for r in ResourceRecord.objects.order_by("household_id", "date", "pk")
        ),
    )
    yield (
        "emplois",
        (
            [persons[e.person_id], e.date, e.employment]
            for e in EmploymentRecord.objects.order_by("person_id", "date", "pk")
        ),
    )
    yield "contrats", (
        [c.reference, households[c.household_id], units[c.unit_id],
         rooms[c.room_id] if c.room_id else "", c.start_date, c.initial_end_date, c.rent,
         c.charges, c.deposit, c.actual_end_date]
        for c in kept.order_by("reference")
    )  # fmt: skip
    yield (
        "avenants",
        (
            [contracts[a.contract_id], a.signed_on, a.new_end_date]
            for a in Amendment.objects.order_by("contract_id", "number")
        ),
    )
    yield "mouvements", _entries(contracts)
    yield "plans_apurement", (
        [_key(p.ref, p.public_id), households[contract_household[p.contract_id]], p.signed_on,
         p.debt, p.instalment, p.status]
        for p in RepaymentPlan.objects.order_by("signed_on", "pk")
    )  # fmt: skip
    objectives: dict[int, set[str]] = defaultdict(set)
    for contract_id, domain in SupportObjective.objects.order_by().values_list(
        "contract_id", "domain"
    ):
        objectives[contract_id].add(domain)
    yield "accompagnements", (
        [supports[s.pk], households[s.household_id], s.signed_on, s.initial_end_date,
         sorted(objectives.get(s.pk, ())),
         s.referent.email if s.referent_id else s.referent_email]
        for s in SupportContract.objects.select_related("referent").order_by("signed_on", "pk")
    )  # fmt: skip
    yield (
        "avenants_accompagnement",
        (
            [supports[a.contract_id], a.signed_on, a.new_end_date]
            for a in SupportAmendment.objects.order_by("contract_id", "number")
        ),
    )
    yield "interactions", _interactions(households)
    participants: dict[int, list[str]] = defaultdict(list)
    for workshop_id, person_id in WorkshopParticipant.objects.values_list(
        "workshop_id", "person_id"
    ):
        participants[workshop_id].append(persons[person_id])
    yield (
        "ateliers",
        (
            [_key(w.ref, w.public_id), w.date, w.title, sorted(participants.get(w.pk, ()))]
            for w in Workshop.objects.order_by("date", "pk")
        ),
    )
    yield from _rehousing(households)


def _rehousing(households: dict[int, str]) -> Iterator[tuple[str, Iterator[list]]]:
    """The road out: demands, proposals, measures, follow-ups after the exit."""
    yield "demandes_logement", (
        [households[d.household_id], d.number, d.filed_on, d.renewed_on, d.communes,
         sorted(d.typologies), d.syplo_on, d.dalo_on, d.accord_collectif,
         d.contingent_prefectoral, d.closed_on, d.note]
        for d in HousingDemand.objects.order_by("household_id")
    )  # fmt: skip
    yield "propositions", (
        [_key(p.ref, p.public_id), households[p.household_id], p.landlord, p.parc, p.address,
         p.city, p.typology, p.rent, p.received_on, p.cal_on, p.cal_decision, p.answer,
         p.answered_on, p.refusal_reason, p.move_in_on, p.note]
        for p in Proposal.objects.order_by("household_id", "received_on", "pk")
    )  # fmt: skip
    partners = dict(Partner.objects.values_list("pk", "name"))
    yield "mesures", (
        [_key(m.ref, m.public_id), households[m.household_id], m.kind, m.funder,
         partners[m.partner_id] if m.partner_id else "", m.start_on, m.end_on, m.handover_on,
         m.handover_to, m.note]
        for m in Measure.objects.order_by("household_id", "start_on", "pk")
    )  # fmt: skip
    yield "suivis_sortie", (
        [households[f.household_id], f.months, f.contacted_on, f.housed, f.debts, f.needs]
        for f in FollowUp.objects.order_by("household_id", "months")
    )  # fmt: skip


def _entries(contracts: dict[int, str]) -> Iterator[list]:
    keys: dict[int, str] = {}
    rows = LedgerEntry.objects.order_by("pk").values_list(
        "pk", "ref", "public_id", "contract_id", "date", "kind", "debit", "credit",
        "method", "period", "reverses_id",
    )  # fmt: skip
    for (
        pk,
        ref,
        public_id,
        contract_id,
        date,
        kind,
        debit,
        credit,
        method,
        period,
        reverses,
    ) in rows.iterator(chunk_size=20000):
        if contract_id not in contracts:
            continue  # a voided contract's
        key = keys[pk] = _key(ref, public_id)
        if kind == LedgerKind.REGULARISATION:
            amount = debit if debit else -credit
        else:
            amount = debit or credit
        yield [
            key, contracts[contract_id], date, kind, amount, method,
            Month(format_month(period)), keys.get(reverses, "") if reverses else "",
        ]  # fmt: skip


def _interactions(households: dict[int, str]) -> Iterator[list]:
    from iml.models import User

    links = list(InteractionStaff.objects.values_list("interaction_id", "user_id"))
    emails = dict(
        User.objects.filter(pk__in={user_id for _, user_id in links}).values_list("pk", "email")
    )
    staff: dict[int, list[str]] = defaultdict(list)
    for interaction_id, user_id in links:
        staff[interaction_id].append(emails.get(user_id, ""))
    interactions = Interaction.objects.order_by("household_id", "date", "kind", "pk")
    for i in interactions.iterator(chunk_size=5000):
        # Members by their account's e-mail, the others as written (hors équipe).
        people = [e for e in staff.get(i.pk, ()) if e] + list(i.staff_emails)
        yield [
            households[i.household_id], i.date, i.kind, sorted(i.domains),
            sorted(set(people)), i.duration_minutes, i.notes,
        ]  # fmt: skip


# --- Formats --------------------------------------------------------------------------------


def export_rows(organisation) -> dict[str, list[list[str]]]:
    """Every sheet as text rows, as a CSV holds them before the escaping of formulas (tests
    compare workbooks with it)."""
    return {
        sheet: [[format_value(value) for value in row] for row in rows]
        for sheet, rows in _rows(organisation)
    }


def csv_cell(value) -> str:
    """A value as the CSV export writes it. A text a spreadsheet would run as a formula
    (``=…``, ``+…``, ``-…``, ``@…``) is escaped, as the ``.xlsx`` export keeps it a text cell;
    numbers, dates and booleans are not texts (``-20.00`` stays a number)."""
    text = format_value(value)
    if isinstance(value, str | list | tuple):
        return escape_formula(text)
    return text


def write_csv_folder(organisation, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet, rows in _rows(organisation):
        path = folder / f"{sheet}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(spec.SHEETS_BY_NAME[sheet].column_names)
            for row in rows:
                writer.writerow([csv_cell(value) for value in row])
        written.append(path)
    return written


# Confidential columns: social workers and heads read them, the organisation's admin does not
# (issue 6). Left out of the admin's download, the column is absent — not empty — so that
# importing that file back keeps the notes instead of erasing them. The road out is the social
# file's too: what the household said of a proposal, what it needs after its exit.
CONFIDENTIAL: dict[str, tuple[str, ...]] = {
    "interactions": ("notes",),
    "demandes_logement": ("note",),
    "propositions": ("note",),
    "mesures": ("note",),
    "suivis_sortie": ("needs",),
}


def _without(columns: list[str], rows, drop: tuple[str, ...]):
    if not drop:
        return columns, rows
    dropped = {columns.index(name) for name in drop}
    kept = [name for n, name in enumerate(columns) if n not in dropped]
    return kept, ([v for n, v in enumerate(row) if n not in dropped] for row in rows)


def write_xlsx(organisation, target, *, with_notes: bool = True) -> None:
    """``target``: a path or a binary file object. ``with_notes=False`` leaves the
    confidential columns out."""

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet, rows in _rows(organisation):
        worksheet = book.create_sheet(sheet)
        header = []
        columns, rows = _without(
            list(spec.SHEETS_BY_NAME[sheet].column_names),
            rows,
            () if with_notes else CONFIDENTIAL.get(sheet, ()),
        )
        for name in columns:
            cell = WriteOnlyCell(worksheet, value=name)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, bool | list | tuple):
                    cells.append(format_value(value))
                elif isinstance(value, datetime.date):
                    cell = WriteOnlyCell(worksheet, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                elif isinstance(value, Decimal):
                    cell = WriteOnlyCell(worksheet, value=value)
                    cell.number_format = "0.00"
                    cells.append(cell)
                elif isinstance(value, str):
                    text = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell = WriteOnlyCell(worksheet, value=text or None)
                    if text:
                        cell.data_type = "s"  # never a formula ("=…" stays text)
                    cells.append(cell)
                else:
                    cells.append(value)
            worksheet.append(cells)
    book.save(target)


def xlsx_bytes(organisation, *, with_notes: bool = True) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(organisation, buffer, with_notes=with_notes)
    return buffer.getvalue()


def export_workbook(organisation, path: str | Path) -> list[Path]:
    """``path`` ending with ``/`` (or an existing folder): a folder of CSV; else ``.xlsx``."""
    text_path = str(path)
    target = Path(path)
    if text_path.endswith(("/", "\\")) or target.is_dir():
        return write_csv_folder(organisation, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(organisation, target)
    return [target]
