"""RGPD: everything held on a household (right of access), and anonymisation after retention.

Both start from one list, ``HOUSEHOLD_PATHS``: every model whose rows belong to one household,
with the path from it to the household (the export itself: ``households.rgpd_export``). The
tests walk the foreign keys of every model and fail when a model reaching a household is
missing from it, when one of its text fields is not classified below, or when its rows are
missing from the export. Rows of a unit (incidents)
or of a workshop are not the household's: the export shows those of its stay, without the
names of other people, and the anonymisation takes the household's names out of them.

Anonymisation keeps what the annual reports count (dates, sex, role, nationality, status,
resources, employment, destinations, every ledger amount) and removes what identifies: names,
the SI-SIAO reference, the exact day of birth (the month is kept for age brackets), every text
typed about the household (notes, motifs, objectives, justifications…), the names written in
its events, in the incidents of its homes and in its workshops, and the trigger-kept history
of its rows.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pghistory.models
from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from alerts.models import Alert
from households.models import (
    EmploymentRecord,
    Household,
    HouseholdEvent,
    Person,
    ResourceRecord,
    fold,
)
from iml.codes import LedgerKind
from iml.models import Organisation
from iml.rls import organisation_transaction
from support.models import (
    Interaction,
    InteractionPerson,
    InteractionStaff,
    Referral,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
    WorkshopParticipant,
)
from tenancy.calls import OLD_EXIT_CREDIT
from tenancy.models import (
    ANONYMISED_TEXT,
    Amendment,
    Incident,
    Instalment,
    Inventory,
    InventoryItem,
    LedgerEntry,
    RepaymentPlan,
    SubleaseContract,
)

ANONYMOUS = "Anonyme"
# In place of a name found in a text that is not the household's own (an incident of the
# unit, a workshop), or, in an export, of someone else's name.
NAME_REMOVED = "[nom retiré]"

# Every model whose rows belong to one household, and the path from it to the household.
HOUSEHOLD_PATHS: dict[type[models.Model], str] = {
    Household: "pk",
    Person: "household",
    EmploymentRecord: "person__household",
    ResourceRecord: "household",
    HouseholdEvent: "household",
    Alert: "household",
    SubleaseContract: "household",
    Amendment: "contract__household",
    LedgerEntry: "contract__household",
    RepaymentPlan: "contract__household",
    Instalment: "plan__contract__household",
    Inventory: "contract__household",
    InventoryItem: "inventory__contract__household",
    SupportContract: "household",
    SupportObjective: "contract__household",
    SupportAmendment: "contract__household",
    Interaction: "household",
    InteractionPerson: "interaction__household",
    InteractionStaff: "interaction__household",
    Referral: "household",
    WorkshopParticipant: "person__household",
}

# Models of HOUSEHOLD_PATHS whose rows are not exported as such, and why.
EXPORT_LEFT_OUT: dict[type[models.Model], str] = {
    InteractionPerson: "link table: the persons present are listed in their interaction",
    InteractionStaff: "link table: the staff who took part are listed in their interaction",
    WorkshopParticipant: "link table: each workshop lists the household's persons who took part",
}

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
}
# Rewritten in their own way by ``anonymise``.
REWRITTEN: dict[type[models.Model], tuple[str, ...]] = {
    Household: ("siao_reference",),
    Person: ("last_name", "first_name", "search_name"),
    HouseholdEvent: ("summary",),
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
    (Workshop, "ref"): "the row's identifier in the interchange workbook",
}


def household_rows(model: type[models.Model], household: Household) -> models.QuerySet:
    """The rows of ``model`` that belong to ``household`` (a model of HOUSEHOLD_PATHS)."""
    path = HOUSEHOLD_PATHS[model]
    return model._base_manager.filter(**{path: household.pk if path == "pk" else household})


def history_models() -> list[type[pghistory.models.Event]]:
    """The history tables kept by django-pghistory's triggers."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and getattr(model, "pgh_tracked_model", None)
    ]


def household_history(event_model, household: Household) -> models.QuerySet:
    """The history rows of the household's rows, deleted ones included: the history tables
    copy the tracked rows' foreign keys, so the same path leads to the household."""
    tracked = event_model.pgh_tracked_model
    if tracked is Household:
        return event_model.objects.filter(pgh_obj_id=household.pk)
    return event_model.objects.filter(**{HOUSEHOLD_PATHS[tracked]: household})


def _incidents_of_homes(household: Household) -> models.QuerySet:
    return Incident._base_manager.filter(
        unit__in=SubleaseContract._base_manager.filter(household=household).values("unit")
    )


def _workshops_of(household: Household) -> models.QuerySet:
    return Workshop._base_manager.filter(
        pk__in=WorkshopParticipant._base_manager.filter(person__household=household).values(
            "workshop"
        )
    )


def shared_rows(model: type[models.Model], household: Household) -> models.QuerySet:
    """The rows of a model of NAMES_REMOVED that may name the household's persons."""
    if model is Incident:
        return _incidents_of_homes(household)
    if model is Workshop:
        return _workshops_of(household)
    return household_rows(model, household)


# --- Names in free text ---------------------------------------------------------------------

# Parts of names too common as words to be taken out of a text on their own.
PARTICLES = frozenset(
    {"abd", "abu", "ben", "bin", "bou", "del", "della", "den", "der", "des", "dos", "ibn"}
    | {"les", "los", "mac", "van", "von"}
)


def name_tokens(names: Iterable[str]) -> set[str]:
    """The words of ``names`` looked for in a text, folded (lower case, no accents): each part
    of three letters or more but particles, and a whole name of two ("Ly")."""
    tokens = set()
    for name in names:
        parts = re.findall(r"\w+", fold(name))
        if len(parts) == 1 and len(parts[0]) == 2:
            tokens.add(parts[0])
        tokens.update(part for part in parts if len(part) >= 3 and part not in PARTICLES)
    return tokens


def person_tokens(persons: Iterable[Person]) -> set[str]:
    return name_tokens(name for person in persons for name in (person.last_name, person.first_name))


def _folded_with_origins(text: str) -> tuple[str, list[int]]:
    """``text`` folded as ``fold`` does (but spaces), and for each folded character the index
    of the character of ``text`` it comes from."""
    chars, origins = [], []
    for index, char in enumerate(text):
        for folded in unicodedata.normalize("NFKD", char).lower():
            if not unicodedata.combining(folded):
                chars.append(folded)
                origins.append(index)
    return "".join(chars), origins


def remove_names(text: str, tokens: set[str]) -> str:
    """``text`` with every word among ``tokens`` (whatever its case and accents) replaced by
    NAME_REMOVED; a run of them ("Zébulon-Témoin", "Ana Lima") by one. A common word that is
    also a name goes too: for privacy, the safer mistake."""
    if not text or not tokens:
        return text
    folded, origins = _folded_with_origins(text)
    spans: list[list[int]] = []
    for match in re.finditer(r"\w+", folded):
        if match.group() not in tokens:
            continue
        start, end = origins[match.start()], origins[match.end() - 1] + 1
        if spans and not text[spans[-1][1] : start].strip(" -'’"):
            spans[-1][1] = end
        else:
            spans.append([start, end])
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], NAME_REMOVED]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


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
        siao_reference="", anonymised_at=timezone.now()
    )
    for number, person in enumerate(persons, start=1):
        person.last_name = ANONYMOUS
        person.first_name = f"Personne {number}"
        person.birth_date = person.birth_date.replace(day=1)
        person.save()
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
