"""RGPD: anonymisation of a household after its retention period.

Anonymisation keeps what the annual reports count (dates, sex, role, nationality, status,
resources, employment, destinations, every ledger amount) and removes what identifies: names,
the SI-SIAO reference, the exact day of birth (the month is kept for age brackets), every text
typed about the household (notes, motifs, objectives, justifications…), the names written in
its events, in the incidents of its homes and in its workshops, and the trigger-kept history
of its rows. Which rows are the household's: ``privacy.paths.HOUSEHOLD_PATHS``; every text
field of them is classified below (the tests fail on one that is not).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Alert
from banking.models import BankLine, CafNoticeRow, Debit, Mandate, MatchProposal
from households.models import Household, HouseholdEvent, Person, ResourceRecord
from iml.codes import LedgerKind
from iml.models import Organisation
from iml.rls import organisation_transaction
from papers.models import Paper, PaperFile
from papers.services import paper_delete
from privacy.names import person_tokens, remove_names
from privacy.paths import (
    HOUSEHOLD_PATHS,
    history_models,
    household_history,
    household_rows,
    shared_rows,
)
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal, SlidePlan
from support.models import (
    Interaction,
    Referral,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
)
from tenancy.calls import OLD_EXIT_CREDIT
from tenancy.models import (
    ANONYMISED_TEXT,
    Amendment,
    Incident,
    Inventory,
    InventoryItem,
    LedgerEntry,
    RepaymentPlan,
    SubleaseContract,
)

ANONYMOUS = "Anonyme"

# --- What anonymisation does to each text field (the tests require every one classified) ---

# Text of the household's own rows: replaced as a whole by the marker, whatever it says (an
# empty text stays empty). The ledger's trigger allows exactly this on ``note`` and
# ``reference`` (tenancy.models.APPEND_ONLY).
REPLACED_TEXT: dict[type[models.Model], tuple[str, ...]] = {
    Amendment: ("justification",),
    LedgerEntry: ("note", "reference"),
    RepaymentPlan: ("note",),
    Inventory: ("notes",),
    InventoryItem: ("notes",),
    SupportContract: ("notes",),
    SupportObjective: ("text",),
    SupportAmendment: ("justification",),
    Interaction: ("notes",),
    Referral: ("reason", "outcome_notes"),
    # The demand's number identifies the household at the landlords; a proposal's address is
    # where it went to live.
    HousingDemand: ("number", "communes", "note"),
    Proposal: ("address", "note"),
    Measure: ("handover_to", "note"),
    FollowUp: ("needs",),
    SlidePlan: ("note",),
    # Whose account and which: the household's bank details.
    Mandate: ("debtor_name", "iban", "bic"),
    CafNoticeRow: ("allocataire", "name"),
    MatchProposal: ("reasons",),
}
# Texts of REPLACED_TEXT the application wrote itself, naming no one, which it still looks for.
WRITTEN_BY_THE_APPLICATION: dict[tuple[type[models.Model], str], Q] = {
    # The exit credits of earlier versions, which ``repair_rent_calls`` finds by their note
    # (tenancy.calls.ledger_repair): anonymised, they would stay unrepaired.
    (LedgerEntry, "note"): Q(kind=LedgerKind.REGULARISATION, note__contains=OLD_EXIT_CREDIT),
}
# Text describing something else than the household, which may name its persons: the names
# are taken out, the rest stays. Incidents belong to the unit (its upkeep, what the next
# household and the landlord need), workshops to every participant; an inventory's rooms and
# items describe the unit.
NAMES_REMOVED: dict[type[models.Model], tuple[str, ...]] = {
    InventoryItem: ("room", "item"),
    Incident: ("description",),
    Workshop: ("title", "description"),
    # The organisation's statement: its lines stay (the account must still add up), the
    # household's names go from the transfers' labels.
    BankLine: ("label", "counterparty", "reference", "note"),
}
# Rewritten in their own way by ``anonymise``.
REWRITTEN: dict[type[models.Model], tuple[str, ...]] = {
    Household: ("siao_reference", "caf_number"),
    Person: ("last_name", "first_name", "search_name"),
    HouseholdEvent: ("summary",),
}
# Deleted with their files, whatever they say: a scan of an identity paper or a signed contract
# has no use once the stay is closed and its retention over, and cannot be anonymised.
DELETED: dict[type[models.Model], str] = {
    Paper: "the household's papers (identity papers, contracts…): rows and files deleted",
    PaperFile: "the files of those papers, removed from storage once the deletion is committed",
}
# Kept as they are, and why.
KEPT_TEXT: dict[tuple[type[models.Model], str], str] = {
    (Household, "reference"): "the operator's key of the file: the accounts, kept longer, and "
    "the paper archives refer to it (a pseudonym; data-protection.md says no name goes there)",
    (Household, "orienting_structure"): "a structure (CADA, CHRS…), not a person; the "
    "annual report counts entries by it",
    (Person, "ref"): "the row's identifier in the interchange workbook",
    (Alert, "milestone"): "written by the alerts job (6, 12, 18 months, an instalment number)",
    (SubleaseContract, "reference"): "the contract number, given by the application",
    (LedgerEntry, "number"): "the receipt number, given by the application",
    (LedgerEntry, "ref"): "the row's identifier in the interchange workbook",
    (RepaymentPlan, "ref"): "the row's identifier in the interchange workbook",
    (SupportContract, "ref"): "the row's identifier in the interchange workbook",
    (SupportContract, "referent_email"): "a member of staff, not the household",
    (Interaction, "staff_emails"): "members of staff, not the household",
    (ResourceRecord, "monthly_amounts"): "amounts of resource codes ({code: euros}): no name, "
    "no free text; they say nothing of who once the names are gone",
    (Workshop, "ref"): "the row's identifier in the interchange workbook",
    (Proposal, "landlord"): "a landlord (OPAC, Habellis…), not a person",
    (Proposal, "city"): "a commune: what the figures of rehousing count, not an address",
    (Measure, "funder"): "an institution (conseil départemental, DDETS…), not a person",
    (Proposal, "ref"): "the row's identifier in the interchange workbook",
    (Measure, "ref"): "the row's identifier in the interchange workbook",
    (Mandate, "reference"): "the mandate's reference (RUM), given by the operator: the bank "
    "and the debits of the accounts kept longer refer to it",
    (Debit, "end_to_end_id"): "the debit's reference, made by the application",
    (BankLine, "bank_id"): "the bank's identifier of the line",
    (BankLine, "fingerprint"): "a hash made by the application, to store each line once",
    (BankLine, "return_reason"): "an ISO 20022 reason code (AM04…)",
}


# --- Retention ------------------------------------------------------------------------------


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def due_for_anonymisation(organisation: Organisation, today: datetime.date):
    """Households whose exit or withdrawal is older than the organisation's retention."""
    limit = _years_before(today, organisation.retention_identity_years)
    return Household.objects.filter(anonymised_at__isnull=True).filter(
        Q(exit_date__lt=limit) | Q(withdrawal_date__lt=limit)
    )


@transaction.atomic
def anonymise(household: Household) -> None:
    persons = list(Person.objects.filter(household=household).order_by("pk"))
    tokens = person_tokens(persons)  # read before the names go
    # Marked first: the ledger's trigger accepts the anonymisation of an entry only on a
    # household so marked.
    Household.objects.filter(pk=household.pk).update(
        siao_reference="", caf_number="", anonymised_at=timezone.now()
    )
    for number, person in enumerate(persons, start=1):
        person.last_name = ANONYMOUS
        person.first_name = f"Personne {number}"
        person.birth_date = person.birth_date.replace(day=1)
        person.save()
    for paper in Paper.objects.filter(household=household):
        paper_delete(paper=paper, by=None)
    for event in HouseholdEvent.objects.filter(household=household):
        HouseholdEvent.objects.filter(pk=event.pk).update(summary=event.get_kind_display())
    for model, names in REPLACED_TEXT.items():
        for name in names:
            typed = household_rows(model, household).exclude(**{name: ""})
            if (model, name) in WRITTEN_BY_THE_APPLICATION:
                typed = typed.exclude(WRITTEN_BY_THE_APPLICATION[model, name])
            typed.update(**{name: ANONYMISED_TEXT})
    for model, names in NAMES_REMOVED.items():
        _remove_names_from(shared_rows(model, household), names, tokens)
    # The trigger-kept history would still hold the names and texts: the household's rows'
    # history goes, that of the anonymisation itself (made just above) with it; the history
    # of the rows it shares (incidents) loses the names only.
    for event_model in history_models():
        tracked = event_model.pgh_tracked_model
        if tracked in HOUSEHOLD_PATHS:
            household_history(event_model, household).delete()
        elif tracked in NAMES_REMOVED:
            shared = shared_rows(tracked, household).values("pk")
            _remove_names_from(
                event_model.objects.filter(pgh_obj_id__in=shared), NAMES_REMOVED[tracked], tokens
            )


def _remove_names_from(rows: models.QuerySet, names: tuple[str, ...], tokens: set[str]) -> None:
    for row in rows:
        changed = {name: remove_names(getattr(row, name), tokens) for name in names}
        changed = {name: text for name, text in changed.items() if text != getattr(row, name)}
        if changed:
            type(row)._base_manager.filter(pk=row.pk).update(**changed)


@dataclass(frozen=True)
class RetentionResult:
    organisation: str
    households: int


def apply_retention(
    *, today: datetime.date | None = None, wet_run: bool, organisation: Organisation | None = None
) -> list[RetentionResult]:
    """Organisation by organisation, each in its own transaction."""
    today = today or timezone.localdate()
    organisations = [organisation] if organisation else Organisation.objects.order_by("pk")
    results = []
    for current in organisations:
        with organisation_transaction(current):
            due = list(due_for_anonymisation(current, today))
            if wet_run:
                for household in due:
                    anonymise(household)
            results.append(RetentionResult(current.slug, len(due)))
    return results
