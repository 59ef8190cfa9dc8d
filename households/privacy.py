"""RGPD: everything held on a household (right of access), and anonymisation after retention.

Anonymisation keeps what the annual reports count (dates, sex, role, nationality, status,
resources, employment, destinations) and removes what identifies: names, the SI-SIAO
reference, the exact day of birth (the month is kept for age brackets), the names written in
the household's history, and the trigger-kept history of the rows concerned.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from households.models import (
    EmploymentRecord,
    EmploymentRecordHistory,
    Household,
    HouseholdEvent,
    HouseholdHistory,
    Person,
    PersonHistory,
    ResourceRecord,
)
from iml.models import AccessLog, Organisation
from iml.rls import organisation_transaction

ANONYMOUS = "Anonyme"


def _value(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if hasattr(value, "code"):  # django-countries' Country
        return value.code
    return value if isinstance(value, str | int | float | bool | list | type(None)) else str(value)


def _fields(instance, names: list[str]) -> dict:
    return {name: _value(getattr(instance, name)) for name in names}


def household_data(household: Household) -> dict:
    """Every piece of data held on the household, as plain JSON-serialisable values."""
    persons = list(Person.objects.filter(household=household).order_by("pk"))
    employment = EmploymentRecord.objects.filter(person__in=persons).order_by("date", "pk")
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
                    "exit_destination",
                    "bail_glissant",
                    "exit_support",
                    "withdrawal_date",
                    "withdrawal_reason",
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
                    _fields(record, ["date", "employment"])
                    for record in employment
                    if record.person_id == person.pk
                ],
            }
            for person in persons
        ],
        "resources": [
            _fields(record, ["date", "resources"])
            for record in ResourceRecord.objects.filter(household=household).order_by("date")
        ],
        "events": [
            {**_fields(event, ["date", "kind", "summary"]), "recorded_by": str(event.recorded_by)}
            for event in HouseholdEvent.objects.filter(household=household)
            .select_related("recorded_by")
            .order_by("date", "pk")
        ],
        "accesses": [
            {**_fields(entry, ["at", "action", "object_type"]), "by": str(entry.user)}
            for entry in AccessLog.objects.filter(household_id=household.public_id)
            .select_related("user")
            .order_by("at")
        ],
    }


def household_pdf(household: Household) -> bytes:
    html = render_to_string(
        "documents/household_data.html",
        {"data": household_data(household), "household": household},
    )
    return HTML(string=html).write_pdf()


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
    for number, person in enumerate(persons, start=1):
        person.last_name = ANONYMOUS
        person.first_name = f"Personne {number}"
        person.birth_date = person.birth_date.replace(day=1)
        person.save()
    Household.objects.filter(pk=household.pk).update(
        siao_reference="", anonymised_at=timezone.now()
    )
    for event in HouseholdEvent.objects.filter(household=household):
        HouseholdEvent.objects.filter(pk=event.pk).update(summary=event.get_kind_display())
    # The trigger-kept history would still hold the names: it goes, and so does the history
    # of the anonymisation itself (made just above).
    HouseholdHistory.objects.filter(pgh_obj=household).delete()
    PersonHistory.objects.filter(pgh_obj__in=persons).delete()
    EmploymentRecordHistory.objects.filter(person__in=persons).delete()


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
