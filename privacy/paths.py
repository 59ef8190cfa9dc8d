"""Where a household's data is: every model whose rows belong to one household, with the path
from it to the household (``HOUSEHOLD_PATHS``), the history of those rows, and the rows of others
(a unit's incidents, a workshop) that may name its persons.

One list drives both the right of access (``privacy.rgpd_export``) and the anonymisation after
retention (``privacy.retention``). The tests walk the foreign keys of every model and fail when a
model reaching a household is missing from it, when one of its text fields is not classified
(``privacy.retention``), or when its rows are missing from the export. Rows of a unit
(incidents) or of a workshop are not the household's: the export shows those of its stay,
without the names of other people, and the anonymisation takes the household's names out of
them.
"""

from __future__ import annotations

import pghistory.models
from django.apps import apps
from django.db import models

from alerts.models import Alert
from banking.models import Allocation, BankLine, CafNoticeRow, Debit, Mandate, MatchProposal
from households.models import (
    EmploymentRecord,
    Household,
    HouseholdEvent,
    Person,
    ResourceRecord,
)
from papers.models import Paper, PaperFile
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal, SlidePlan
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
from tenancy.models import (
    Amendment,
    Incident,
    Instalment,
    Inventory,
    InventoryItem,
    LedgerEntry,
    RepaymentPlan,
    SubleaseContract,
)

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
    Paper: "household",
    PaperFile: "paper__household",
    HousingDemand: "household",
    Proposal: "household",
    Measure: "household",
    FollowUp: "household",
    SlidePlan: "contract__household",
    Mandate: "household",
    Debit: "contract__household",
    CafNoticeRow: "household",
    Allocation: "entry__contract__household",
    MatchProposal: "contract__household",
}

# Models of HOUSEHOLD_PATHS whose rows are not exported as such, and why.
EXPORT_LEFT_OUT: dict[type[models.Model], str] = {
    PaperFile: "the files are in the archive, listed under their paper (``papers``)",
    InteractionPerson: "link table: the persons present are listed in their interaction",
    InteractionStaff: "link table: the staff who took part are listed in their interaction",
    WorkshopParticipant: "link table: each workshop lists the household's persons who took part",
    Allocation: "link table: each ledger entry lists the bank line it came from",
    MatchProposal: "the matcher's guesses about a bank line, replaced at each statement; the "
    "lines written into the household's account are listed with its entries",
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


def bank_lines_of(household: Household) -> models.QuerySet:
    """The bank lines written into the household's account, or proposed for it: the
    organisation's account statement, which may name its persons (a transfer's label)."""
    written = Allocation._base_manager.filter(entry__contract__household=household)
    proposed = MatchProposal._base_manager.filter(contract__household=household)
    return BankLine._base_manager.filter(
        models.Q(pk__in=written.values("line")) | models.Q(pk__in=proposed.values("line"))
    )


def shared_rows(model: type[models.Model], household: Household) -> models.QuerySet:
    """The rows of a model that may name the household's persons (a model of
    ``privacy.retention.NAMES_REMOVED``): a unit's incidents, workshops and the bank's lines
    are shared with others; any other model's rows are the household's own."""
    if model is Incident:
        return _incidents_of_homes(household)
    if model is Workshop:
        return _workshops_of(household)
    if model is BankLine:
        return bank_lines_of(household)
    return household_rows(model, household)
