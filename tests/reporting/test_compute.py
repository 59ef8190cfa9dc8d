"""The computation of the annual report (shared/docs/annual-report.md): the full JSON of a
dataset worked out by hand, then each rule on its own."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from iml.codes import LedgerKind, PersonRole, Sex, resource_combination
from iml.models import Organisation
from iml.scoping import organisation_context
from reporting import definitions as d
from reporting.compute import (
    compute_report,
    funding_ceiling,
    money,
    percent,
    round_half_away,
)
from reporting.definitions import ReportScope
from reporting.drilldown import UnknownFigure, figure_queryset, households_for
from reporting.quality import consistency_checks, quality_gaps
from tests.factories import DispositifFactory
from tests.households.factories import EmploymentRecordFactory, ResourceRecordFactory
from tests.reporting.factories import (
    END,
    EXPECTED,
    START,
    build_reference,
    contract,
    entry,
    household,
    person,
    room,
    unit,
)

D = datetime.date


@pytest.fixture
def reference(org_a, dispositif_a):
    return build_reference(org_a, dispositif_a)


def test_the_report_of_the_reference_dataset(dispositif_a, reference):
    assert compute_report(dispositif_a, START, END) == EXPECTED


# --- Scale: the number of queries does not depend on the number of households ---------------


def test_the_number_of_queries_does_not_grow_with_the_households(
    org_a, dispositif_a, django_assert_max_num_queries
):
    build_reference(org_a, dispositif_a)
    with django_assert_max_num_queries(QUERIES):
        small = compute_report(dispositif_a, START, END)
    build_reference(org_a, dispositif_a, tag="b")
    build_reference(org_a, dispositif_a, tag="c")
    with django_assert_max_num_queries(QUERIES):
        large = compute_report(dispositif_a, START, END)
    assert large["households"] == {key: 3 * value for key, value in small["households"].items()}
    assert large["persons"] == {key: 3 * value for key, value in small["persons"].items()}
    assert large["rent"]["called"] == "6900.00"
    assert large["quality"]["gaps"] == 27
    assert large["housing"]["occupancy_rate"] == small["housing"]["occupancy_rate"]


# 31 today: a constant, whatever the number of households (queries per household would show).
QUERIES = 31


# --- Every key, always ----------------------------------------------------------------------


def _shape(value, path=""):
    """The keys of a report, without the open-ended breakdowns' own keys."""
    open_ended = ("resources", "orienting_structures", "nationalities", "by_sector_at_end")
    if isinstance(value, dict):
        if path.rsplit(".", 1)[-1] in open_ended:
            return "open"
        return {key: _shape(item, f"{path}.{key}") for key, item in value.items()}
    return type(value).__name__


def test_an_empty_dispositif_has_every_key_with_zeros(org_a, dispositif_a):
    report = compute_report(dispositif_a, START, END)
    shape = _shape(EXPECTED)
    shape["present_at_end"]["stay_length"]["average_months"] = "NoneType"
    shape["exits"]["stay_length"]["average_months"] = "NoneType"
    assert _shape(report) == shape
    assert report["present_at_end"]["typology"]["inconnu"] == {
        "households": 0,
        "children": 0,
        "reinforced": 0,
    }
    assert report["entries"]["resources"] == {"inconnu": 0}
    assert report["nationalities"] == {"inconnu": 0}
    assert report["housing"]["by_sector_at_end"] == {"inconnu": 0}
    assert report["housing"]["occupancy_rate"] == 0.0
    assert report["rent"] == {
        "called": "0.00",
        "paid_by_household": "0.00",
        "paid_by_caf": "0.00",
        "paid_by_aids": "0.00",
        "collection_rate": 0.0,
        "households_up_to_date_at_end": 0,
        "households_in_debt_at_end": 0,
        "debt_at_end": "0.00",
        "repayment_plans_opened": 0,
    }
    assert report["funding"] == {
        "average_units": 0.0,
        "ceiling_per_unit": "5000.00",
        "theoretical": "0.00",
    }
    assert report["quality"] == {
        "gaps": 0,
        "checks": {"households_balance": True, "persons_balance": True},
    }


def test_another_organisation_and_another_dispositif_count_nowhere(org_a, org_b, dispositif_a):
    build_reference(org_a, dispositif_a)
    with organisation_context(org_b):
        build_reference(org_b, DispositifFactory(organisation=org_b, code="IML-A"), tag="b")
    assert compute_report(dispositif_a, START, END) == EXPECTED


# --- Dates ----------------------------------------------------------------------------------


def _sql(expression):
    return Organisation.objects.annotate(value=expression).values_list("value", flat=True)[0]


@pytest.mark.parametrize(
    ("start", "day", "months"),
    [
        (D(2025, 1, 31), D(2025, 2, 28), 0),
        (D(2025, 1, 31), D(2025, 3, 1), 1),
        (D(2024, 1, 31), D(2024, 2, 29), 0),
        (D(2024, 5, 1), D(2024, 10, 31), 5),
        (D(2024, 5, 1), D(2024, 11, 1), 6),
        (D(2024, 1, 1), D(2024, 12, 31), 11),
        (D(2023, 3, 15), D(2024, 12, 31), 21),
        (D(2024, 3, 15), D(2024, 3, 15), 0),
        (D(2023, 12, 31), D(2024, 1, 30), 0),
        (D(2023, 12, 31), D(2024, 1, 31), 1),
    ],
)
def test_completed_months(org_a, start, day, months):
    assert d.completed_months(start, day) == months
    assert _sql(d.CompletedMonths(d.date_value(day), d.date_value(start))) == months


@pytest.mark.parametrize(
    ("birth", "day", "years"),
    [
        (D(1980, 2, 29), D(2025, 2, 28), 44),  # 29 February: not yet on 28 February
        (D(1980, 2, 29), D(2025, 3, 1), 45),  # … completed on 1 March
        (D(1980, 2, 29), D(2024, 2, 28), 43),
        (D(1980, 2, 29), D(2024, 2, 29), 44),
        (D(2006, 9, 15), D(2024, 9, 14), 17),
        (D(2006, 9, 15), D(2024, 9, 15), 18),
        (D(2024, 6, 10), D(2024, 1, 1), -1),  # born after the date: in no age bracket
    ],
)
def test_ages_in_completed_years(org_a, birth, day, years):
    assert d.completed_years(birth, day) == years
    assert _sql(d.CompletedYears(d.date_value(day), d.date_value(birth))) == years


def test_a_29_february_birthday_in_the_age_brackets(org_a, dispositif_a):
    # Born 29 Feb 2004: 17 on 28 Feb 2022 (an entry), 18 on 1 March 2022 (another one).
    for reference, day in (("A", D(2022, 2, 28)), ("B", D(2022, 3, 1))):
        hh = household(dispositif_a, reference, entry_date=day)
        person(hh, role=PersonRole.REFERENT)
        person(hh, role=PersonRole.ENFANT, birth_date=D(2004, 2, 29))
    report = compute_report(dispositif_a, D(2022, 1, 1), D(2022, 12, 31))
    assert report["entries"]["age_brackets"]["0-17"] == 1
    assert report["entries"]["age_brackets"]["18-24"] == 1
    assert report["entries"]["children_of_age"] == 1


def test_age_brackets_of_the_dispositif(org_a):
    dispositif = DispositifFactory(organisation=org_a, age_brackets="0-20;21-25;26-30;31+")
    hh = household(dispositif, "A", entry_date=D(2024, 1, 1))
    for birth in (D(2004, 1, 1), D(2003, 12, 31), D(1994, 1, 1), D(1993, 12, 31)):
        person(hh, role=PersonRole.AUTRE, birth_date=birth)
    report = compute_report(dispositif, START, END)
    # At entry (2024-01-01): 20, 20, 30, 30 (31 on 2024-12-31 for the last one).
    assert report["entries"]["age_brackets"] == {"0-20": 2, "21-25": 0, "26-30": 2, "31+": 0}
    assert report["present_at_end"]["age_brackets"] == {
        "0-20": 1,
        "21-25": 1,
        "26-30": 1,
        "31+": 1,
    }


# --- Typology -------------------------------------------------------------------------------

ADULT_F = {"role": PersonRole.REFERENT, "sex": Sex.F}
ADULT_M = {"role": PersonRole.CONJOINT, "sex": Sex.M}
ADULT_X = {"role": PersonRole.AUTRE, "sex": Sex.X}
CHILD = {"role": PersonRole.ENFANT, "sex": Sex.M, "birth_date": D(2015, 1, 1)}
CHILD_OF_AGE = {"role": PersonRole.ENFANT, "sex": Sex.F, "birth_date": D(2000, 1, 1)}


@pytest.mark.parametrize(
    ("members", "typology"),
    [
        ([ADULT_F], "femme_seule"),
        ([ADULT_M], "homme_seul"),
        ([ADULT_X], "personne_seule"),
        ([ADULT_F, ADULT_M], "couple_sans_enfant"),
        ([ADULT_F, ADULT_X], "couple_sans_enfant"),
        ([ADULT_F, ADULT_M, ADULT_X], "groupe_adultes"),
        ([ADULT_F, CHILD], "femme_avec_enfants"),
        ([ADULT_F, CHILD_OF_AGE], "femme_avec_enfants"),  # role enfant, whatever the age
        ([ADULT_M, CHILD, CHILD], "homme_avec_enfants"),
        ([ADULT_X, CHILD], "personne_avec_enfants"),
        ([ADULT_F, ADULT_M, CHILD], "couple_avec_enfants"),
        ([ADULT_F, ADULT_M, ADULT_X, CHILD], "couple_avec_enfants"),
        ([CHILD], "inconnu"),
        ([], "inconnu"),
    ],
)
def test_typology(org_a, dispositif_a, members, typology):
    hh = household(dispositif_a, "A", entry_date=D(2024, 3, 1))
    for member in members:
        person(hh, **member)
    report = compute_report(dispositif_a, START, END)
    children = sum(member["role"] == PersonRole.ENFANT for member in members)
    for group in ("present_at_end", "entries"):
        cells = report[group]["typology"]
        assert cells[typology] == {"households": 1, "children": children, "reinforced": 0}
        assert sum(cell["households"] for cell in cells.values()) == 1
    gaps = quality_gaps(ReportScope(dispositif_a, START, END))
    composition = [gap for gap in gaps if gap.field == "composition"]
    assert len(composition) == (typology == "inconnu")  # once, though in two groups


def test_the_typology_follows_the_group_persons(org_a, dispositif_a):
    # A couple enters; the man leaves on 2024-06-01; a child joins on 2024-09-01; the household
    # exits on 2024-11-01 while the child stays with a relative (left on 2024-10-01).
    hh = household(dispositif_a, "A", entry_date=D(2024, 2, 1), exit_date=D(2024, 11, 1))
    person(hh, **ADULT_F)
    person(hh, **ADULT_M, left_date=D(2024, 6, 1))
    person(hh, **CHILD, joined_date=D(2024, 9, 1), left_date=D(2024, 10, 1))
    report = compute_report(dispositif_a, START, END)
    assert report["entries"]["typology"]["couple_sans_enfant"]["households"] == 1
    assert report["exits"]["typology"]["femme_seule"]["households"] == 1
    assert report["persons"] == {
        "present_at_start": 0,
        "entered": 3,
        "exited": 3,
        "present_at_end": 0,
        "accompanied": 3,
    }


# --- Resources and employment ---------------------------------------------------------------


def test_resources_latest_on_or_before_else_earliest(org_a, dispositif_a):
    scope = ReportScope(dispositif_a, START, END)
    only_later = household(dispositif_a, "A", entry_date=D(2024, 3, 1))
    ResourceRecordFactory(household=only_later, organisation=org_a, date=D(2024, 6, 1),
                          resources=["salaire"])  # fmt: skip
    ResourceRecordFactory(household=only_later, organisation=org_a, date=D(2024, 5, 1),
                          resources=["rsa", "aah", "rsa"])  # fmt: skip
    both = household(dispositif_a, "B", entry_date=D(2024, 3, 1))
    for day, codes in ((D(2024, 2, 1), ["are"]), (D(2024, 3, 1), ["cej"]),
                       (D(2024, 3, 1), ["prime_activite", "salaire"]),
                       (D(2024, 3, 2), ["aucune"])):  # fmt: skip
        ResourceRecordFactory(household=both, organisation=org_a, date=day, resources=codes)
    household(dispositif_a, "C", entry_date=D(2024, 3, 1))
    at_entry = dict(d.group_households(scope, "entries").values_list("reference", "resources_key"))
    assert at_entry == {
        "A": "aah+rsa",  # none on or before the entry: the earliest, codes sorted, once each
        "B": resource_combination(["salaire", "prime_activite"]),  # same day: last recorded
        "C": "inconnu",
    }
    at_end = dict(
        d.group_households(scope, "present_at_end").values_list("reference", "resources_key")
    )
    assert at_end == {"A": "salaire", "B": "aucune", "C": "inconnu"}


def test_employment_latest_in_period_else_latest_before_never_later(org_a, dispositif_a):
    hh = household(dispositif_a, "A", entry_date=D(2023, 1, 1))
    situations = {
        "in_period": [(D(2023, 5, 1), "siae"), (D(2024, 2, 1), "emploi"),
                      (D(2024, 7, 1), "formation"), (D(2025, 1, 1), "etudes")],
        "before": [(D(2022, 5, 1), "siae"), (D(2023, 5, 1), "cours_francais"),
                   (D(2025, 1, 1), "etudes")],
        "later_only": [(D(2025, 1, 1), "emploi")],
    }  # fmt: skip
    adults = {}
    for name, records in situations.items():
        adults[name] = person(hh, role=PersonRole.AUTRE, last_name=name)
        for day, employment in records:
            EmploymentRecordFactory(organisation=org_a, person=adults[name], date=day,
                                    employment=employment)  # fmt: skip
    child = person(hh, role=PersonRole.ENFANT, birth_date=D(2000, 1, 1))
    EmploymentRecordFactory(organisation=org_a, person=child, date=D(2024, 1, 1))
    employment = compute_report(dispositif_a, START, END)["support"]["employment"]
    assert {code: count for code, count in employment.items() if count} == {
        "formation": 1,
        "cours_francais": 1,
        "inconnu": 1,
    }


# --- Exits: sinistralité --------------------------------------------------------------------


def test_sinistralite_at_exit(org_a, dispositif_a):
    flat = unit(dispositif_a, "U", places=5, captation_date=D(2020, 1, 1))
    rooms = [room(flat, f"R{i}") for i in range(5)]
    exit_day = D(2024, 6, 1)

    def exited(reference, index, entries):
        hh = household(dispositif_a, reference, entry_date=D(2024, 1, 1), exit_date=exit_day,
                       exit_destination="tiers")  # fmt: skip
        person(hh, role=PersonRole.REFERENT)
        lease = contract(hh, flat, f"C{reference}", D(2024, 1, 1), exit_day, room=rooms[index])
        made = []
        for day, kind, amount, *reverses in entries:
            target = {"reverses": made[reverses[0]]} if reverses else {}
            made.append(entry(lease, day, kind, amount, **target))
        return hh

    appel, paiement, degradation, annulation = (
        LedgerKind.APPEL, LedgerKind.PAIEMENT, LedgerKind.DEGRADATION, LedgerKind.ANNULATION
    )  # fmt: skip
    # Debt only: 300 called, 100 paid; paid after the exit date: still a debt at exit.
    exited("debt", 0, [(D(2024, 5, 1), appel, "300"), (D(2024, 5, 10), paiement, "100"),
                       (D(2024, 7, 1), paiement, "200")])  # fmt: skip
    # Damage only: rent paid; damages billed after the exit. Credits reduce rent debt first:
    # the 600 paid cover the 500 called, not the damages.
    exited("damage", 1, [(D(2024, 5, 1), appel, "500"), (D(2024, 5, 2), paiement, "600"),
                         (D(2024, 6, 20), degradation, "200")])  # fmt: skip
    # Both.
    exited("both", 2, [(D(2024, 5, 1), appel, "500"), (D(2024, 6, 20), degradation, "200")])
    # Neither: the damage is reversed, and so is the unpaid rent call.
    exited("none", 3, [(D(2024, 5, 1), appel, "500"), (D(2024, 5, 3), annulation, "500", 0),
                       (D(2024, 6, 20), degradation, "200"),
                       (D(2024, 6, 25), annulation, "200", 2)])  # fmt: skip
    # A reversed payment makes a debt again.
    exited("bounced", 4, [(D(2024, 5, 1), appel, "500"), (D(2024, 5, 2), paiement, "500"),
                          (D(2024, 5, 9), annulation, "500", 1)])  # fmt: skip
    report = compute_report(dispositif_a, START, END)
    assert report["exits"]["sinistralite"] == {
        "aucun": 1,
        "impaye": 2,
        "degradation": 1,
        "multiple": 1,
    }
    scope = ReportScope(dispositif_a, START, END)
    by_household = dict(
        d.with_sinistralite(d.households_exited(scope)).values_list("reference", "sinistralite")
    )
    assert by_household == {
        "debt": "impaye",
        "damage": "degradation",
        "both": "multiple",
        "none": "aucun",
        "bounced": "impaye",
    }
    # Rent figures: the reversed call counts under appel on its own date; damages are in no
    # rent figure. Called 300 + 500 x 4 - 500 = 1800; households 100 + 200 + 600 + 500 - 500.
    assert report["rent"]["called"] == "1800.00"
    assert report["rent"]["paid_by_household"] == "900.00"
    assert report["rent"]["collection_rate"] == 50.0


# --- Housing: occupancy with rooms ----------------------------------------------------------


def test_occupancy_rate_with_rooms_and_whole_units(org_a, dispositif_a):
    # Ten days, 2024-03-01 → 2024-03-10.
    start, end = D(2024, 3, 1), D(2024, 3, 10)
    # A shared flat of 2 places with three rooms of one place, all let: at most 2 places.
    shared = unit(dispositif_a, "S", places=2, colocation=True, captation_date=D(2024, 1, 1))
    for index in range(3):
        hh = household(dispositif_a, f"S{index}", entry_date=D(2024, 1, 1))
        contract(hh, shared, f"CS{index}", D(2024, 1, 1), room=room(shared, f"RS{index}"))
    # A flat of 3 places: one room of 2 places let from 2024-03-06 (5 days), then, from the
    # contract's end (2024-03-09, first day out), the whole flat.
    flat = unit(dispositif_a, "F", places=3, colocation=True, captation_date=D(2024, 1, 1))
    big_room = room(flat, "RF", places=2)
    first = household(dispositif_a, "F1", entry_date=D(2024, 3, 6))
    contract(first, flat, "CF1", D(2024, 3, 6), D(2024, 3, 9), room=big_room)
    second = household(dispositif_a, "F2", entry_date=D(2024, 3, 9))
    contract(second, flat, "CF2", D(2024, 3, 9))
    # A studio captured on 2024-03-06 (5 days), never let; one returned on 2024-03-03 (2 days):
    # its contract ran past its term without an actual end date: still covering.
    unit(dispositif_a, "T", places=1, captation_date=D(2024, 3, 6))
    returned = unit(dispositif_a, "R", places=1, captation_date=D(2023, 1, 1),
                    return_date=D(2024, 3, 3), return_reason="autre")  # fmt: skip
    tenant = household(dispositif_a, "R1", entry_date=D(2023, 1, 1))
    contract(tenant, returned, "CR", D(2023, 1, 1))

    housing = compute_report(dispositif_a, start, end)["housing"]
    # Available: S 2 x 10 + F 3 x 10 + T 1 x 5 + R 1 x 2 = 57.
    # Occupied: S 2 x 10 (capped) + F 2 x 3 (6-8 March) + 3 x 2 (9-10 March) + R 1 x 2 = 34.
    assert housing["occupancy_rate"] == percent(34, 57) == 59.6
    assert housing["units_at_end"] == 3
    assert housing["occupied_units_at_end"] == 2
    assert housing["vacant_units_at_end"] == 1
    assert housing["rooms_at_end"] == 4
    assert housing["returned_by_reason"]["autre"] == 1
    scope = ReportScope(dispositif_a, start, end)
    assert d.stock_days(scope) == d.StockDays(unit_days=10 + 10 + 5 + 2, available=57,
                                              occupied=34)  # fmt: skip


# --- Orientations ---------------------------------------------------------------------------


def test_orientations_withdrawals_and_pending_at_end(org_a, dispositif_a):
    cases = {
        "oriented_on_the_last_day": {"orientation_date": END},
        "oriented_after": {"orientation_date": D(2025, 1, 1)},
        "withdrawn_on_the_last_day": {"orientation_date": D(2024, 5, 1), "withdrawal_date": END,
                                      "withdrawal_reason": "sans_nouvelles"},
        "withdrawn_after": {"orientation_date": D(2024, 5, 1),
                            "withdrawal_date": D(2025, 1, 2), "withdrawal_reason": "autre"},
        "withdrawn_before": {"orientation_date": D(2023, 5, 1),
                             "withdrawal_date": D(2023, 12, 31), "withdrawal_reason": "autre"},
        "withdrawn_early": {"orientation_date": D(2023, 5, 1),
                            "withdrawal_date": D(2024, 1, 1), "withdrawal_reason": "autre"},
        "entered_on_the_last_day": {"orientation_date": D(2024, 6, 1), "entry_date": END},
        "entered_after": {"orientation_date": D(2024, 6, 1), "entry_date": D(2025, 1, 1)},
        "oriented_before_waiting": {"orientation_date": D(2023, 6, 1)},
        "oriented_before_entered": {"orientation_date": D(2023, 6, 1),
                                    "entry_date": D(2024, 2, 1)},
    }  # fmt: skip
    for reference, fields in cases.items():
        household(dispositif_a, reference, **fields)
    orientations = compute_report(dispositif_a, START, END)["orientations"]
    assert orientations == {
        # On the last day, withdrawn on the last day and after, both entries of 2024-06-01.
        "received": 5,
        "admitted": 1,  # entered on the last day (the other entered in 2024 was oriented in 2023)
        "withdrawn": {
            "situation_changee": 0,
            "reorientation": 0,
            "refus_menage": 0,
            "refus_operateur": 0,
            "sans_nouvelles": 1,
            "autre": 1,
            "inconnu": 0,
        },
        # Oriented on the last day, withdrawn after, entered after, waiting since 2023.
        "pending_at_end": 4,
    }


# --- Funding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "zone", "ceiling"),
    [
        ("classique", "tendue", "4500.00"),
        ("classique", "detendue", "5000.00"),
        ("specialisee", "tendue", "5500.00"),
        ("specialisee", "detendue", "6000.00"),
        ("psy", "tendue", "7500.00"),
        ("psy", "detendue", "8000.00"),
    ],
)
def test_funding_ceilings(org_a, category, zone, ceiling):
    dispositif = DispositifFactory(organisation=org_a, category=category, zone=zone)
    assert money(funding_ceiling(dispositif)) == ceiling
    # One unit all year, one for 183 days of 366 (from 2024-07-02): 1.5 units on average.
    unit(dispositif, "A", captation_date=D(2020, 1, 1))
    unit(dispositif, "B", captation_date=D(2024, 7, 2))
    funding = compute_report(dispositif, START, END)["funding"]
    assert funding == {
        "average_units": 1.5,
        "ceiling_per_unit": ceiling,
        "theoretical": money(Decimal("1.5") * Decimal(ceiling)),
    }


def test_the_average_number_of_units_is_rounded_before_the_ceiling(org_a, dispositif_a):
    # 2 units for 50 days of a 366-day year, one all year: (100 + 366) / 366 = 1.273 → 1.3.
    unit(dispositif_a, "A", captation_date=D(2020, 1, 1))
    for reference in ("B", "C"):
        unit(dispositif_a, reference, captation_date=D(2024, 1, 1), return_date=D(2024, 2, 20),
             return_reason="fin_convention")  # fmt: skip
    funding = compute_report(dispositif_a, START, END)["funding"]
    assert funding == {"average_units": 1.3, "ceiling_per_unit": "5000.00",
                       "theoretical": "6500.00"}  # fmt: skip


# --- Rounding -------------------------------------------------------------------------------


def test_rounding():
    assert round_half_away(Fraction("12.25")) == Decimal("12.3")
    assert round_half_away(Fraction("-12.25")) == Decimal("-12.3")
    assert round_half_away(Fraction("12.24999")) == Decimal("12.2")
    assert round_half_away(Fraction(2, 3), 2) == Decimal("0.67")
    assert percent(1, 8) == 12.5 and percent(49, 400) == 12.3 and percent(5, 0) == 0.0
    assert money(Decimal("0.005")) == "0.01" and money(None) == "0.00" and money(12) == "12.00"


# --- Data quality ---------------------------------------------------------------------------


def test_a_gap_counts_once_per_record_and_field(org_a, dispositif_a):
    # Entered in the period and present at end: in two groups, and accompanied.
    hh = household(dispositif_a, "A", entry_date=D(2024, 3, 1), prior_situation="",
                   orienting_structure="")  # fmt: skip
    adult = person(hh, role=PersonRole.REFERENT, nationality="", protection_status="")
    report = compute_report(dispositif_a, START, END)
    for group in ("present_at_end", "entries"):
        assert report[group]["protection_status"]["inconnu"] == 1
        assert report[group]["prior_situation"]["inconnu"] == 1
        assert report[group]["resources"]["inconnu"] == 1
    assert report["nationalities"]["inconnu"] == 1
    assert report["support"]["employment"]["inconnu"] == 1
    gaps = quality_gaps(ReportScope(dispositif_a, START, END))
    assert sorted((gap.model, gap.field) for gap in gaps) == [
        ("household", "orienting_structure"),
        ("household", "prior_situation"),
        ("household", "resources"),
        ("person", "employment"),
        ("person", "nationality"),
        ("person", "protection_status"),
    ]
    assert report["quality"]["gaps"] == 6
    by_field = {gap.field: gap for gap in gaps}
    assert by_field["nationality"].public_id == str(adult.public_id)
    assert by_field["nationality"].url == f"/menages/personnes/{adult.public_id}/modifier/"
    assert by_field["prior_situation"].url == hh.get_absolute_url()
    assert by_field["prior_situation"].label == (
        "Ménage A : situation avant l’entrée non renseignée"
    )


def test_the_gaps_of_the_reference_dataset(org_a, dispositif_a):
    objects = build_reference(org_a, dispositif_a)
    gaps = quality_gaps(ReportScope(dispositif_a, START, END))
    assert len(gaps) == EXPECTED["quality"]["gaps"]
    assert sorted((gap.model, gap.field) for gap in gaps) == [
        ("household", "exit_destination"),
        ("household", "orienting_structure"),
        ("household", "prior_situation"),
        ("household", "resources"),
        ("housingunit", "sector"),
        ("person", "employment"),
        ("person", "employment"),
        ("person", "nationality"),
        ("person", "protection_status"),
    ]
    sector = next(gap for gap in gaps if gap.field == "sector")
    assert sector.public_id == str(objects["u2"].public_id)


def test_consistency_checks_pass_on_the_reference_dataset():
    checks = consistency_checks(EXPECTED)
    assert [check.code for check in checks if not check.ok] == []
    assert len(checks) > 20


def test_consistency_checks_show_inconsistent_data(org_a, dispositif_a):
    hh = household(dispositif_a, "A", entry_date=D(2024, 3, 1))
    person(hh, role=PersonRole.REFERENT)
    # Left before the household entered: entered in the period, never exited in it.
    person(hh, role=PersonRole.AUTRE, left_date=D(2023, 6, 1))
    # Born after the entry without a joined date: age -1 at entry, in no age bracket.
    person(hh, role=PersonRole.ENFANT, birth_date=D(2024, 5, 1))
    report = compute_report(dispositif_a, START, END)
    assert report["quality"]["checks"] == {"households_balance": True, "persons_balance": False}
    failed = {check.code for check in consistency_checks(report) if not check.ok}
    assert failed == {"persons_balance", "entries.age_brackets"}


# --- Drill-down -----------------------------------------------------------------------------


def _leaves(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, value


NOT_ROWS = {"housing.places_at_end", "quality.gaps"}


def test_each_count_opens_on_the_rows_it_counts(org_a, dispositif_a):
    build_reference(org_a, dispositif_a)
    scope = ReportScope(dispositif_a, START, END)
    report = compute_report(dispositif_a, START, END)
    checked = 0
    for path, value in _leaves(report):
        if path in NOT_ROWS:
            with pytest.raises(UnknownFigure):
                figure_queryset(scope, path)
            continue
        assert figure_queryset(scope, path).count() == value, path
        checked += 1
    assert checked > 250
    typology = figure_queryset(scope, "present_at_end.typology.femme_avec_enfants")
    assert list(typology.values_list("reference", flat=True)) == ["H1"]
    children = figure_queryset(scope, "present_at_end.typology.homme_avec_enfants.children")
    assert sorted(children.values_list("birth_date", flat=True)) == [D(2006, 9, 15), D(2010, 1, 1)]
    assert (
        households_for(dispositif_a, START, END, "exits.sinistralite.impaye").get().reference
        == "H4"
    )
    with pytest.raises(UnknownFigure):
        figure_queryset(scope, "rent.called")
    with pytest.raises(UnknownFigure):
        figure_queryset(scope, "present_at_end.typology.nope")


def test_each_amount_opens_on_the_entries_that_add_up_to_it(org_a, dispositif_a):
    """Rent called and collected open on their ledger entries, the debt at the end on the
    households in debt: the amounts of the rows, summed here, are the report's figure."""
    from reporting.money_drilldown import MONEY_FIGURES, money_rows

    build_reference(org_a, dispositif_a)
    rent = compute_report(dispositif_a, START, END)["rent"]
    for path in sorted(MONEY_FIGURES):
        found = money_rows(dispositif_a, START, END, path)
        amounts = [row.counted if found.of_entries else row.balance for row in found.rows]
        assert amounts, path
        assert f"{sum(amounts, Decimal(0)):.2f}" == rent[path.split(".")[1]], path
        assert f"{found.total:.2f}" == rent[path.split(".")[1]], path
    # A reversal counts in the list, negative, on its own date.
    called = money_rows(dispositif_a, START, END, "rent.paid_by_household").rows
    assert any(row.counted < 0 and row.kind == LedgerKind.ANNULATION for row in called)
    with pytest.raises(LookupError):
        money_rows(dispositif_a, START, END, "rent.collection_rate")
