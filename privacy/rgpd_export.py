"""RGPD right of access: everything held on a household, as JSON and PDF, built from
``privacy.paths.HOUSEHOLD_PATHS`` (the tests fail when a model reaching a household is
missing from it or from the export)."""

from __future__ import annotations

import datetime
import re

from django.contrib.postgres.fields import ArrayField
from django.template.loader import render_to_string
from django.utils import timezone

from alerts.models import Alert
from banking.models import CafNoticeRow, Debit, Mandate
from households.models import (
    EmploymentRecord,
    Household,
    HouseholdEvent,
    Person,
    ResourceRecord,
)
from iml.models import AccessLog, User
from iml.pdf import html_to_pdf
from papers.models import Paper
from privacy.names import name_tokens, person_tokens, remove_names
from privacy.paths import HOUSEHOLD_PATHS, bank_lines_of, history_models, household_history
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal, SlidePlan
from support.models import (
    Interaction,
    Referral,
    SupportContract,
    Workshop,
    WorkshopParticipant,
)
from tenancy.models import (
    Amendment,
    Incident,
    Inventory,
    LedgerEntry,
    RepaymentPlan,
    SubleaseContract,
)
from tenancy.money import contract_balance

# --- Right of access: the export --------------------------------------------------------------


def _value(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if hasattr(value, "code"):  # django-countries' Country
        return value.code
    return value if isinstance(value, str | int | float | bool | list | type(None)) else str(value)


def _label(field, value) -> str | None:
    """The French label of a coded value (None: the field has no codes)."""
    if hasattr(value, "code"):  # a country
        return str(value.name) if value.code else ""
    if isinstance(field, ArrayField):
        if not field.base_field.choices:
            return None
        labels = dict(field.base_field.flatchoices)
        return ", ".join(str(labels.get(item, item)) for item in value or [])
    if not field.choices:
        return None
    return "" if value in (None, "") else str(dict(field.flatchoices).get(value, value))


def _fields(instance, names: list[str]) -> dict:
    """The values of ``names``, each coded one followed by its label (``kind_label``…)."""
    row = {}
    for name in names:
        value = getattr(instance, name)
        row[name] = _value(value)
        label = _label(instance._meta.get_field(name), value)
        if label is not None:
            row[f"{name}_label"] = label
    return row


def _person_ref(person: Person) -> dict:
    return {"public_id": str(person.public_id), "name": str(person)}


def _others_tokens(household: Household) -> set[str]:
    """Names of the organisation's other persons (not yet anonymised), less the household's
    own: taken out of the texts of units and workshops shown in its export (RGPD art. 15.4,
    the copy must not disclose others)."""
    own = person_tokens(Person.objects.filter(household=household))
    others = (
        Person.objects.exclude(household=household)
        .filter(household__anonymised_at__isnull=True)
        .values_list("last_name", "first_name")
    )
    return name_tokens(name for pair in others for name in pair) - own


def _contracts(household: Household, others) -> list[dict]:
    contracts = (
        SubleaseContract.objects.filter(household=household)
        .select_related("unit", "room")
        .order_by("start_date", "pk")
    )
    result = []
    for contract in contracts:
        entries = LedgerEntry.objects.filter(contract=contract).select_related(
            "reverses", "replaces"
        )
        incidents = Incident.objects.filter(
            unit=contract.unit, reported_on__gte=contract.start_date
        )
        if contract.actual_end_date:
            incidents = incidents.filter(reported_on__lt=contract.actual_end_date)
        result.append(
            {
                **_fields(
                    contract,
                    [
                        "public_id",
                        "reference",
                        "start_date",
                        "initial_end_date",
                        "actual_end_date",
                        "rent",
                        "charges",
                        "deposit",
                        "expected_housing_benefit",
                        "towards_sliding_lease",
                    ],
                ),
                "unit": _fields(contract.unit, ["reference", "address", "postcode", "city"]),
                "room": contract.room.label if contract.room else None,
                "balance": str(contract_balance(contract)),
                "amendments": [
                    _fields(
                        amendment,
                        [
                            "public_id",
                            "number",
                            "signed_on",
                            "new_end_date",
                            "beyond_limit",
                            "justification",
                        ],
                    )
                    for amendment in Amendment.objects.filter(contract=contract).order_by("number")
                ],
                "ledger": [
                    {
                        **_fields(
                            entry,
                            [
                                "public_id",
                                "date",
                                "kind",
                                "debit",
                                "credit",
                                "period",
                                "rent_part",
                                "charges_part",
                                "method",
                                "number",
                                "reference",
                                "note",
                            ],
                        ),
                        "reverses": str(entry.reverses.public_id) if entry.reverses else None,
                        "replaces": str(entry.replaces.public_id) if entry.replaces else None,
                    }
                    for entry in entries.order_by("date", "pk")
                ],
                "repayment_plans": [
                    {
                        **_fields(
                            plan,
                            [
                                "public_id",
                                "signed_on",
                                "debt",
                                "instalment",
                                "first_due_date",
                                "status",
                                "closed_on",
                                "note",
                            ],
                        ),
                        "instalments": [
                            _fields(instalment, ["public_id", "number", "due_date", "amount"])
                            for instalment in plan.instalments.order_by("number")
                        ],
                    }
                    for plan in RepaymentPlan.objects.filter(contract=contract).order_by(
                        "signed_on", "pk"
                    )
                ],
                "inventories": [
                    {
                        **_fields(inventory, ["public_id", "kind", "date", "notes", "damages"]),
                        "items": [
                            _fields(item, ["public_id", "room", "item", "condition", "notes"])
                            for item in inventory.items.order_by("pk")
                        ],
                    }
                    for inventory in Inventory.objects.filter(contract=contract).order_by("date")
                ],
                # The unit's incidents during the stay: the household lived with them.
                "incidents": [
                    {
                        **_fields(
                            incident,
                            ["public_id", "kind", "reported_on", "status", "resolved_on"],
                        ),
                        "description": remove_names(incident.description, others()),
                    }
                    for incident in incidents.order_by("reported_on", "pk")
                ],
            }
        )
    return result


def _support_contracts(household: Household) -> list[dict]:
    result = []
    for contract in SupportContract.objects.filter(household=household).select_related("referent"):
        result.append(
            {
                **_fields(contract, ["public_id", "signed_on", "initial_end_date", "notes"]),
                "referent": contract.referent_label,
                "objectives": [
                    _fields(
                        objective,
                        ["public_id", "domain", "text", "status", "start_date", "closed_on"],
                    )
                    for objective in contract.objectives.order_by("start_date", "pk")
                ],
                "amendments": [
                    _fields(
                        amendment,
                        [
                            "public_id",
                            "number",
                            "signed_on",
                            "new_end_date",
                            "beyond_limit",
                            "justification",
                        ],
                    )
                    for amendment in contract.amendments.order_by("number")
                ],
            }
        )
    return result


def _interactions(household: Household) -> list[dict]:
    interactions = (
        Interaction.objects.filter(household=household)
        .prefetch_related("persons", "staff")
        .order_by("date", "pk")
    )
    return [
        {
            **_fields(
                interaction,
                [
                    "public_id",
                    "date",
                    "kind",
                    "duration_minutes",
                    "domains",
                    "notes",
                    "next_appointment",
                    "staff_emails",
                ],
            ),
            # Only the household's own persons (the service allows no other).
            "persons": [
                _person_ref(person)
                for person in interaction.persons.all()
                if person.household_id == household.pk
            ],
            "staff": sorted(str(user) for user in interaction.staff.all()),
        }
        for interaction in interactions
    ]


def _referrals(household: Household) -> list[dict]:
    return [
        {
            **_fields(
                referral,
                ["public_id", "date", "domain", "reason", "outcome", "outcome_date"],
            ),
            "outcome_notes": referral.outcome_notes,
            "partner": referral.partner.name,
            "partner_kind_label": referral.partner.get_kind_display(),
        }
        for referral in Referral.objects.filter(household=household)
        .select_related("partner")
        .order_by("date", "pk")
    ]


def _workshops(household: Household, others) -> list[dict]:
    own = {person.pk: person for person in Person.objects.filter(household=household)}
    links = WorkshopParticipant.objects.filter(person_id__in=own).order_by("person_id")
    taking_part: dict[int, list[Person]] = {}
    for link in links:
        taking_part.setdefault(link.workshop_id, []).append(own[link.person_id])
    return [
        {
            **_fields(workshop, ["public_id", "date", "theme"]),
            "title": remove_names(workshop.title, others()),
            "description": remove_names(workshop.description, others()),
            # The household's persons only: the other participants are not its data.
            "participants": [_person_ref(person) for person in taking_part[workshop.pk]],
        }
        for workshop in Workshop.objects.filter(pk__in=taking_part).order_by("date", "pk")
    ]


def paper_file_name(paper, page) -> str:
    """The name of a paper's file in the archive (``privacy.archive``): no personal data."""
    extension = "pdf" if page.content_type == "application/pdf" else "jpg"
    day = f"{paper.issued_on:%Y-%m-%d}"
    return f"pieces/{day}-{paper.kind}-{paper.public_id}-p{page.position}.{extension}"


def _papers(household: Household) -> list[dict]:
    papers = (
        Paper.objects.filter(household=household)
        .select_related("custom_type", "person", "created_by")
        .prefetch_related("files")
        .order_by("issued_on", "pk")
    )
    return [
        {
            **_fields(paper, ["public_id", "kind", "issued_on", "valid_until", "note"]),
            "label": paper.label,
            "person": _person_ref(paper.person) if paper.person else None,
            "added_by": str(paper.created_by) if paper.created_by else None,
            "files": [
                {
                    **_fields(page, ["public_id", "position", "content_type", "size"]),
                    "archive_name": paper_file_name(paper, page),
                }
                for page in paper.files.all()
            ],
        }
        for paper in papers
    ]


def _demand(household: Household) -> dict | None:
    demand = HousingDemand.objects.filter(household=household).first()
    if demand is None:
        return None
    return _fields(
        demand,
        [
            "public_id",
            "number",
            "filed_on",
            "renewed_on",
            "communes",
            "typologies",
            "syplo_on",
            "dalo_on",
            "accord_collectif",
            "contingent_prefectoral",
            "closed_on",
            "note",
        ],
    )


def _bank(household: Household, others) -> dict:
    """Its direct-debit mandates and debits, its rows in the CAF's detail of its payments, and
    the bank lines written into its account (their labels without other people's names: a
    label names who paid)."""
    return {
        "caf_number": household.caf_number,
        "mandates": [
            _fields(m, ["public_id", "reference", "debtor_name", "iban", "bic", "signed_on",
                        "debit_day", "revoked_on"])
            for m in Mandate.objects.filter(household=household).order_by("signed_on", "pk")
        ],
        "debits": [
            {**_fields(d, ["public_id", "end_to_end_id", "amount", "collection_on", "rejected_on",
                           "rejection_reason"]), "contract": d.contract.reference}
            for d in Debit.objects.filter(contract__household=household)
            .select_related("contract").order_by("collection_on", "pk")
        ],
        "caf_rows": [
            _fields(r, ["public_id", "allocataire", "name", "period", "amount", "expected",
                        "status"])
            for r in CafNoticeRow.objects.filter(household=household).order_by("period", "pk")
        ],
        "bank_lines": [
            {**_fields(line, ["public_id", "booked_on", "amount"]),
             **{name: remove_names(getattr(line, name), others())
                for name in ("label", "counterparty", "reference")}}
            for line in bank_lines_of(household).order_by("booked_on", "pk")
        ],
    }  # fmt: skip


def _alerts(household: Household) -> list[dict]:
    return [
        {
            **_fields(alert, ["public_id", "kind", "milestone", "level", "due_date", "status"]),
            "title": alert.title,
        }
        for alert in Alert.objects.filter(household=household).order_by("due_date", "pk")
    ]


HISTORY_ACTIONS = {"insert": "création", "update": "modification", "delete": "suppression"}
# Columns that say nothing the person does not see elsewhere (keys, timestamps of the row).
_HISTORY_SKIPPED = {"id", "organisation", "public_id", "created_at", "updated_at", "search_name"}


def _history(household: Household) -> list[dict]:
    """Every change of the household's rows kept by the history triggers: what each field was
    and became, when, and by whom."""
    entries, user_ids, labels = [], set(), {}

    def shown(event, field):
        """A value as the reader knows it: the label of a code, the name of a linked row."""
        if not field.is_relation:
            value = getattr(event, field.attname)
            label = _label(field, value)
            return _value(value) if label is None else label
        target_id = getattr(event, field.attname)
        if target_id is None:
            return None
        key = (field.related_model, target_id)
        if key not in labels:
            # The base manager: row-level security still limits it to the organisation.
            target = field.related_model._base_manager.filter(pk=target_id).first()
            labels[key] = str(target) if target is not None else None
        return labels[key]

    for event_model in history_models():
        tracked = event_model.pgh_tracked_model
        if tracked not in HOUSEHOLD_PATHS:
            continue
        tracked_names = {field.name for field in tracked._meta.concrete_fields}
        fields = [
            field
            for field in event_model._meta.concrete_fields
            if field.name in tracked_names and field.name not in _HISTORY_SKIPPED
        ]
        previous: dict[int, dict] = {}
        for event in household_history(event_model, household).order_by("pgh_obj_id", "pgh_id"):
            values = {field.name: shown(event, field) for field in fields}
            before = previous.get(event.pgh_obj_id, {})
            previous[event.pgh_obj_id] = values
            user_id = (event.pgh_context or {}).get("user")
            user_ids.add(user_id)
            entries.append(
                {
                    "object": str(tracked._meta.verbose_name),
                    "object_id": str(event.public_id),
                    "at": event.pgh_created_at.isoformat(),
                    "action": event.pgh_label,
                    "action_label": HISTORY_ACTIONS.get(event.pgh_label, event.pgh_label),
                    "by": user_id,
                    "changes": [
                        {
                            "field": field.name,
                            "label": str(field.verbose_name),
                            "before": before.get(field.name),
                            "after": values[field.name],
                        }
                        for field in fields
                        if event.pgh_label != "delete"
                        # A creation: what was filled in; a change: what changed.
                        and (
                            values[field.name] not in (None, "", [], False)
                            if not before
                            else before.get(field.name) != values[field.name]
                        )
                    ],
                }
            )
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids - {None})}
    for entry in entries:
        entry["by"] = names.get(entry["by"])
    return sorted(entries, key=lambda entry: entry["at"])


def household_data(household: Household) -> dict:
    """Every piece of data held on the household, as plain JSON-serialisable values."""
    persons = list(Person.objects.filter(household=household).order_by("pk"))
    employment = EmploymentRecord.objects.filter(person__in=persons).order_by("date", "pk")
    cache: list[set[str]] = []

    def others() -> set[str]:
        # Read only when a unit's or a workshop's text is shown, once.
        if not cache:
            cache.append(_others_tokens(household))
        return cache[0]

    return {
        "generated_at": timezone.now().isoformat(),
        "organisation": household.organisation.name,
        "household": {
            **_fields(
                household,
                [
                    "reference",
                    "siao_reference",
                    "orientation_date",
                    "orienting_structure",
                    "prior_situation",
                    "reinforced_support",
                    "entry_date",
                    "exit_date",
                    "planned_exit_date",
                    "exit_destination",
                    "bail_glissant",
                    "exit_support",
                    "withdrawal_date",
                    "withdrawal_reason",
                    "anonymised_at",
                ],
            ),
            "public_id": str(household.public_id),
            "dispositif": household.dispositif.name,
            "referent": str(household.referent) if household.referent else None,
        },
        "persons": [
            {
                "public_id": str(person.public_id),
                **_fields(
                    person,
                    [
                        "last_name",
                        "first_name",
                        "sex",
                        "birth_date",
                        "role",
                        "nationality",
                        "protection_status",
                        "joined_date",
                        "left_date",
                    ],
                ),
                "employment": [
                    _fields(record, ["public_id", "date", "employment"])
                    for record in employment
                    if record.person_id == person.pk
                ],
            }
            for person in persons
        ],
        "resources": [
            _fields(record, ["public_id", "date", "resources", "monthly_amounts"])
            for record in ResourceRecord.objects.filter(household=household).order_by("date")
        ],
        "events": [
            {
                **_fields(event, ["public_id", "date", "kind", "summary"]),
                "recorded_by": str(event.recorded_by) if event.recorded_by else None,
            }
            for event in HouseholdEvent.objects.filter(household=household)
            .select_related("recorded_by")
            .order_by("date", "pk")
        ],
        "contracts": _contracts(household, others),
        "support_contracts": _support_contracts(household),
        "interactions": _interactions(household),
        "referrals": _referrals(household),
        "workshops": _workshops(household, others),
        "alerts": _alerts(household),
        "papers": _papers(household),
        "housing_demand": _demand(household),
        "proposals": [
            _fields(
                p,
                [
                    "public_id",
                    "landlord",
                    "parc",
                    "address",
                    "city",
                    "typology",
                    "rent",
                    "received_on",
                    "cal_on",
                    "cal_decision",
                    "answer",
                    "answered_on",
                    "refusal_reason",
                    "move_in_on",
                    "note",
                ],
            )
            for p in Proposal.objects.filter(household=household).order_by("received_on", "pk")
        ],
        "measures": [
            {
                **_fields(
                    m,
                    [
                        "public_id",
                        "kind",
                        "funder",
                        "start_on",
                        "end_on",
                        "handover_on",
                        "handover_to",
                        "note",
                    ],
                ),
                "partner": m.partner.name if m.partner else None,
            }
            for m in Measure.objects.filter(household=household)
            .select_related("partner")
            .order_by("start_on", "pk")
        ],
        "follow_ups": [
            _fields(f, ["public_id", "months", "contacted_on", "housed", "debts", "needs"])
            for f in FollowUp.objects.filter(household=household).order_by("months")
        ],
        "bank": _bank(household, others),
        "slide_plans": [
            {
                **_fields(
                    s,
                    [
                        "public_id",
                        "considered_on",
                        "planned_on",
                        "owner_consent_on",
                        "cal_on",
                        "cal_decision",
                        "tripartite_on",
                        "pre_exit_inventory_on",
                        "note",
                    ],
                ),
                "contract": s.contract.reference,
            }
            for s in SlidePlan.objects.filter(contract__household=household)
            .select_related("contract")
            .order_by("considered_on", "pk")
        ],
        "history": _history(household),
        "accesses": [
            {**_fields(entry, ["at", "action", "object_type"]), "by": str(entry.user)}
            for entry in AccessLog.objects.filter(household_id=household.public_id)
            .select_related("user")
            .order_by("at")
        ],
    }


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")


def _french(value):
    """The export's values as a reader expects them: dates as 31/12/2025, moments as
    31/12/2025 à 14:05 (local time)."""
    if isinstance(value, dict):
        return {key: _french(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_french(item) for item in value]
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        if _ISO_DATETIME.fullmatch(value):
            moment = datetime.datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%d/%m/%Y à %H:%M")
    return value


def household_pdf(household: Household) -> bytes:
    """The same data as ``household_data``, to read."""
    html = render_to_string(
        "documents/privacy/household_data.html",
        {"data": _french(household_data(household)), "household": household},
    )
    return html_to_pdf(html)
