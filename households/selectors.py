"""Reads of households: lists with what each row shows, in a constant number of queries."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.module_loading import import_string

from households.models import Household, HouseholdQuerySet, Person, fold
from iml import dataversion
from iml.codes import PersonRole
from iml.models import Membership
from iml.scoping import get_current_organisation_id
from iml.selectors import Panel

if TYPE_CHECKING:
    from iml.selectors import Card


def _referent_person(field: str) -> Subquery:
    return Subquery(
        Person.objects.filter(household=OuterRef("pk"), role=PersonRole.REFERENT).values(field)[:1]
    )


HouseholdsT = TypeVar("HouseholdsT", bound=QuerySet[Household])


def with_reference_person(households: HouseholdsT) -> HouseholdsT:
    """``head_last_name`` and ``head_first_name``: what ``Household.heading`` shows."""
    annotated: HouseholdsT = households.annotate(
        head_last_name=_referent_person("last_name"),
        head_first_name=_referent_person("first_name"),
    )
    return annotated


def households_for_list() -> HouseholdQuerySet:
    """Households with their reference person's name and the number of persons."""
    households: HouseholdQuerySet = with_reference_person(
        Household.objects.select_related("dispositif", "referent").with_status()
    ).annotate(persons_count=_present_persons_count())
    return households


def _present_persons_count() -> Coalesce:
    # A correlated subquery rather than a join and GROUP BY: PostgreSQL computes it for the
    # page's rows only, not for every household of the organisation before the LIMIT.
    persons = (
        Person.objects.filter(household=OuterRef("pk"), left_date__isnull=True)
        .order_by()
        .values("household")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(persons, output_field=IntegerField()), 0)


def search(queryset: QuerySet[Household], text: str) -> QuerySet[Household]:
    """By a person's name (accents and case ignored), the SIAO or the operator's reference."""
    text = text.strip()
    if not text:
        return queryset
    folded = fold(text)
    # Matches "prénom nom" as well as "nom prénom".
    reversed_words = " ".join(reversed(folded.split()))
    names = Person.objects.filter(
        Q(search_name__contains=folded) | Q(search_name__contains=reversed_words),
        household=OuterRef("pk"),
    )
    return queryset.filter(
        Q(siao_reference__icontains=text) | Q(reference__icontains=text) | Exists(names)
    )


def waiting_list(today: datetime.date | None = None) -> QuerySet[Household]:
    """Oriented households not yet admitted nor withdrawn, the longest waiting first."""
    today = today or timezone.localdate()
    waiting: QuerySet[Household] = (
        households_for_list()
        .waiting()
        # PostgreSQL: date - date is a number of days.
        .annotate(
            waited_days=Func(
                Value(today, output_field=DateField()),
                F("orientation_date"),
                arg_joiner=" - ",
                template="(%(expressions)s)",
                output_field=IntegerField(),
            )
        )
        .order_by(F("orientation_date").asc(nulls_last=True), "pk")
    )
    return waiting


REFERENCE_PATTERN = re.compile(r"^(.*?)(\d+)$")


def next_reference(today: datetime.date | None = None) -> str:
    """A free reference following the organisation's own pattern: the prefix and width of its
    latest household's (« BPI-047 » → « BPI-048 »; last year's « M2025-… » → « M2026-001 »),
    or ``M<year>-001`` when it has none to follow. The user may type another."""
    year = (today or timezone.localdate()).year
    latest = (
        Household.objects.order_by("-created_at", "-pk").values_list("reference", flat=True).first()
    )
    match = REFERENCE_PATTERN.match(latest or "")
    if match is None:
        prefix, width = f"M{year}-", 3
    else:
        prefix, width = match.group(1).replace(str(year - 1), str(year)), len(match.group(2))
    taken = Household.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    numbers = [
        int(found.group(2))
        for reference in taken
        if (found := REFERENCE_PATTERN.match(reference)) and found.group(1) == prefix
    ]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def persons_present(household: Household, day: datetime.date | None = None) -> QuerySet[Person]:
    persons: QuerySet[Person] = Person.objects.filter(household=household).present_at(
        day or timezone.localdate()
    )
    return persons


def household_persons(household: Household) -> QuerySet[Person]:
    """Every person of the household, with the latest employment situation of each."""
    from households.models import EmploymentRecord

    latest = EmploymentRecord.objects.filter(person=OuterRef("pk")).order_by("-date", "-pk")
    return (
        Person.objects.filter(household=household)
        .annotate(
            employment_code=Subquery(latest.values("employment")[:1]),
            employment_since=Subquery(latest.values("date")[:1]),
            arrived=Coalesce("joined_date", "household__entry_date"),
        )
        .order_by("left_date", "birth_date", "pk")
    )


def dashboard_cards(*, membership: Membership) -> list[Card]:
    """Household figures of the dashboard, in one query."""
    from iml.permissions import HOUSEHOLD_VIEWERS
    from iml.selectors import Card

    if membership.role not in HOUSEHOLD_VIEWERS:
        return []
    present = Q(entry_date__isnull=False, exit_date__isnull=True)
    figures = Household.objects.aggregate(
        present=Count("pk", filter=present),
        waiting=Count("pk", filter=Q(entry_date__isnull=True, withdrawal_date__isnull=True)),
        mine=Count("pk", filter=present & Q(referent=membership.user)),
    )
    cards = [
        Card("Ménages présents", figures["present"], "households:household_list"),
        Card("En liste d’attente", figures["waiting"], "households:waiting_list"),
    ]
    if membership.role == "social_worker":
        cards.insert(0, Card("Ménages dont je suis référent·e", figures["mine"]))
    return cards


# The sections the apps above households add to the household page, in page order:
# (household, membership) -> iml.selectors.Panel | None.
HOUSEHOLD_PANELS = [
    "tenancy.panels.household_panel",
    "papers.panels.household_panel",
    "rehousing.panels.household_panel",
    "support.panels.household_panel",
]


# Apps above households that know where a household goes (an accepted proposal): (household) ->
# {"initial": exit form values, "note": what the exit page says} | None. The first one wins.
EXIT_PREFILL = ["rehousing.selectors.exit_prefill"]


def exit_prefill(household: Household) -> dict[str, Any] | None:
    for provider in EXIT_PREFILL:
        prefill = import_string(provider)(household=household)
        if prefill is not None:
            return cast(dict[str, Any], prefill)
    return None


def household_panels(*, household: Household, membership: Membership) -> list[Panel]:
    panels = (
        import_string(provider)(household=household, membership=membership)
        for provider in HOUSEHOLD_PANELS
    )
    return [panel for panel in panels if panel is not None]


def household_for_page(public_id: object) -> Household:
    """``household_or_404`` for the pages that only show it (a GET), read from the cache
    under the organisation's data version: a household changes far less often than its pages
    are read, and every committed write retires the cached copy. Never for a view that
    writes: it reads the row itself."""
    return dataversion.cached(
        get_current_organisation_id(), "household", lambda: household_or_404(public_id), public_id
    )


def household_or_404(public_id: object) -> Household:
    """The household of a page's URL, with what every household page shows (dispositif,
    referent); 404 when it is not the current organisation's."""
    return get_object_or_404(
        with_reference_person(Household.objects.select_related("dispositif", "referent")),
        public_id=public_id,
    )
