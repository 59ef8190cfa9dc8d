"""The floor of the report benchmark (``benchmarks.floor``) computes the report's figures: every
figure equals ``compute_report``'s, on the reference dataset, on edge cases, on a random
dataset and on the benchmark's own synthetic history, over several periods."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest

from benchmarks.floor import SKIPPED, flatten, report_floor
from iml.codes import (
    BAIL_GLISSANT_DESTINATIONS,
    Employment,
    ExitDestination,
    ExitSupport,
    InteractionType,
    LedgerKind,
    PersonRole,
    PriorSituation,
    ProtectionStatus,
    Resource,
    Sex,
    SupportDomain,
    Typology,
    UnitReturnReason,
    WithdrawalReason,
)
from iml.models import Dispositif, Role
from iml.rls import organisation_transaction
from reporting.compute import compute_report
from support.models import SupportAmendment, SupportContract, WorkshopParticipant
from tenancy.models import RepaymentPlan
from tests.factories import DispositifFactory, MembershipFactory, UserFactory
from tests.households.factories import EmploymentRecordFactory, ResourceRecordFactory
from tests.reporting.factories import (
    END,
    START,
    build_reference,
    contract,
    entry,
    household,
    person,
    room,
    unit,
)
from tests.support.factories import InteractionFactory, WorkshopFactory
from workbook.bench import STAFF_EMAIL, synthetic_workbook
from workbook.importer import import_workbook
from workbook.reader import read_path

D = datetime.date
E = Decimal
pytestmark = pytest.mark.django_db


def assert_same_figures(organisation, dispositif, start, end) -> dict:
    """The floor's figures are compute_report's, key for key; returns the report."""
    with organisation_transaction(organisation):
        report = compute_report(dispositif, start, end)
        floor = report_floor(dispositif, start, end)
    expected, found = flatten(report), flatten(floor)
    assert sorted(found) == sorted(expected)
    wrong = {key: (found[key], expected[key]) for key in expected if found[key] != expected[key]}
    assert not wrong, f"{start} → {end}: (floor, report) {wrong}"
    assert floor == {key: value for key, value in report.items() if key not in SKIPPED}
    return report


# --- The reference dataset of the report tests ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, END),
        (D(2023, 11, 1), D(2024, 10, 31)),
        (D(2024, 4, 1), D(2024, 4, 30)),
        (D(2024, 12, 31), D(2024, 12, 31)),
        (D(2021, 1, 1), D(2025, 12, 31)),
    ],
)
def test_the_reference_dataset(org_a, dispositif_a, start, end):
    build_reference(org_a, dispositif_a)
    assert_same_figures(org_a, dispositif_a, start, end)


def test_three_statements_whatever_the_size(org_a, dispositif_a, django_assert_num_queries):
    build_reference(org_a, dispositif_a)
    build_reference(org_a, dispositif_a, tag="b")
    with django_assert_num_queries(3):
        report_floor(dispositif_a, START, END)


def test_flatten_keeps_numbers_only():
    figures = {
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "dispositif": "IML-A",
        "rent": {"called": "12.50", "collection_rate": 80.0},
        "exits": {"stay_length": {"average_months": None}},
        "quality": {"checks": {"households_balance": True}},
    }
    assert flatten(figures) == {
        "rent.called": Decimal("12.50"),
        "rent.collection_rate": 80.0,
        "exits.stay_length.average_months": None,
        "quality.checks.households_balance": True,
    }


def test_an_empty_dispositif(org_a, dispositif_a):
    report = assert_same_figures(org_a, dispositif_a, START, END)
    assert report["exits"]["stay_length"]["average_months"] is None


# --- Edge cases -------------------------------------------------------------------------------


def build_edges(organisation, dispositif) -> None:
    """What the definitions take care of, in one dataset (period 2024)."""
    staff = UserFactory(email="edges@alpha.example")
    # A shared flat whose rooms hold more places than the flat (occupancy capped), captured
    # during the period; a whole flat returned during it, its contract running past the return.
    shared = unit(
        dispositif, "E-U1", typology=Typology.T4, places=2, colocation=True, sector="",
        captation_date=D(2024, 2, 10),
    )  # fmt: skip
    r1, r2, r3 = (room(shared, f"E-R{n}", places=n) for n in (1, 2, 3))
    flat = unit(
        dispositif, "E-U2", typology=Typology.T5, places=5, parc="public",
        captation_date=D(2020, 1, 1), return_date=D(2024, 9, 1), return_reason="insecurite",
    )  # fmt: skip
    vacant = unit(dispositif, "E-U3", typology=Typology.T6, places=6, sector="Bresse")
    unit(dispositif, "E-U4", captation_date=D(2025, 1, 1))  # captured after the period
    unit(
        dispositif, "E-U5", captation_date=D(2019, 1, 1), return_date=D(2023, 1, 1),
        return_reason="fin_convention",
    )  # fmt: skip

    # A group of adults in the whole flat, one of them born 29 February, another one joining
    # after the exit of the household (own dates outside the stay), a child born after the
    # entry without a joined date (a negative age at entry: no age bracket).
    a = household(
        dispositif, "E-A", entry_date=D(2022, 6, 1), exit_date=D(2024, 10, 31),
        exit_destination="logement_prive", bail_glissant=True,
        exit_support=["asll", "asll", "avdl"], prior_situation="logement_autonome",
        orienting_structure="inconnu", reinforced_support=True,
    )  # fmt: skip
    person(a, role=PersonRole.REFERENT, sex=Sex.M, birth_date=D(1996, 2, 29), nationality="UA")
    person(a, role=PersonRole.AUTRE, sex=Sex.F, birth_date=D(1950, 12, 31), nationality="UA")
    person(a, role=PersonRole.AUTRE, sex=Sex.X, birth_date=D(2006, 10, 31), protection_status="")
    person(a, role=PersonRole.AUTRE, joined_date=D(2024, 12, 1), birth_date=D(1999, 1, 1))
    person(a, role=PersonRole.ENFANT, birth_date=D(2023, 3, 3))
    ca = contract(a, flat, "E-CA", D(2022, 6, 1), D(2024, 10, 31))
    entry(ca, D(2024, 1, 1), LedgerKind.APPEL, "700")
    entry(ca, D(2024, 1, 5), LedgerKind.APL, "300")
    aid = entry(ca, D(2024, 1, 6), LedgerKind.AIDE, "100")
    entry(ca, D(2024, 2, 1), LedgerKind.ANNULATION, "100", reverses=aid)
    entry(ca, D(2024, 10, 30), LedgerKind.REGULARISATION, "80", debit=E(80), credit=E(0))
    entry(ca, D(2024, 11, 15), LedgerKind.DEGRADATION, "400")  # damage after the exit
    ResourceRecordFactory(
        organisation=organisation, household=a, date=D(2025, 1, 1), resources=["aucune"]
    )
    ResourceRecordFactory(
        organisation=organisation, household=a, date=D(2025, 1, 1), resources=["cej", "aah"]
    )

    # Two households one after the other in room R3, a third one in R1 and R2 at once.
    b = household(
        dispositif, "E-B", entry_date=D(2024, 3, 1), exit_date=D(2024, 3, 1),
        exit_destination="deces", prior_situation="rue", orienting_structure="",
    )  # fmt: skip
    person(b, role=PersonRole.REFERENT, sex=Sex.F, birth_date=D(1940, 3, 1))
    contract(b, shared, "E-CB", D(2024, 3, 1), D(2024, 3, 1), room=r3)  # an empty stay
    c = household(
        dispositif, "E-C", entry_date=D(2024, 3, 15), prior_situation="asile",
        orienting_structure="inconnu",
        orientation_date=D(2024, 1, 31),
    )  # fmt: skip
    person(c, role=PersonRole.REFERENT, sex=Sex.X, birth_date=D(1988, 7, 14))
    person(c, role=PersonRole.ENFANT, birth_date=D(2005, 12, 31), left_date=D(2024, 6, 1))
    person(c, role=PersonRole.ENFANT, birth_date=D(2024, 8, 1), joined_date=D(2024, 8, 1))
    cc = contract(c, shared, "E-CC", D(2024, 3, 15), room=r3)
    call = entry(cc, D(2024, 4, 1), LedgerKind.APPEL, "420")
    entry(cc, D(2024, 4, 2), LedgerKind.ANNULATION, "420", reverses=call)
    entry(cc, D(2024, 5, 1), LedgerKind.APPEL, "420")
    entry(cc, D(2024, 5, 9), LedgerKind.PAIEMENT, "500")  # in credit at the end
    entry(cc, D(2024, 6, 1), LedgerKind.REGULARISATION, "30")
    RepaymentPlan.objects.create(
        contract=cc, signed_on=D(2024, 12, 31), debt=Decimal(10), instalment=Decimal(5),
        first_due_date=D(2025, 1, 31),
    )  # fmt: skip
    d = household(
        dispositif, "E-D", entry_date=D(2023, 12, 31), exit_date=D(2024, 12, 31),
        exit_destination="expulsion", exit_support=["autre"],
    )  # fmt: skip
    person(d, role=PersonRole.CONJOINT, sex=Sex.M, birth_date=D(1970, 1, 1))
    person(d, role=PersonRole.CONJOINT, sex=Sex.F, birth_date=D(1971, 1, 1))
    person(d, role=PersonRole.ENFANT, birth_date=D(2006, 12, 31))
    cd1 = contract(d, shared, "E-CD1", D(2024, 2, 1), D(2024, 12, 31), room=r1)
    contract(d, shared, "E-CD2", D(2024, 2, 1), D(2024, 7, 1), room=r2)
    entry(cd1, D(2024, 3, 1), LedgerKind.APPEL, "900")
    damage = entry(cd1, D(2024, 6, 1), LedgerKind.DEGRADATION, "50")
    entry(cd1, D(2024, 6, 2), LedgerKind.DEGRADATION, "60")  # not reversed: multiple
    entry(cd1, D(2024, 6, 3), LedgerKind.ANNULATION, "50", reverses=damage)
    EmploymentRecordFactory(
        organisation=organisation, person=d.persons.first(), date=D(2025, 1, 1),
        employment=Employment.EMPLOI,
    )  # fmt: skip
    # Never entered: pending, withdrawn; its persons count nowhere.
    e = household(dispositif, "E-E", orientation_date=D(2024, 12, 31))
    person(e, role=PersonRole.REFERENT, nationality="")
    household(
        dispositif, "E-F", orientation_date=D(2023, 12, 31), withdrawal_date=D(2024, 12, 31),
        withdrawal_reason="sans_nouvelles",
    )  # fmt: skip
    # A household with nobody present at the end (typology inconnu there).
    g = household(dispositif, "E-G", entry_date=D(2023, 1, 31), orienting_structure="")
    person(g, role=PersonRole.REFERENT, left_date=D(2024, 2, 1))
    contract(g, vacant, "E-CG", D(2023, 1, 31), D(2023, 6, 1))

    SupportContract.objects.create(
        household=c, signed_on=D(2024, 3, 20), initial_end_date=D(2024, 9, 20), referent=staff
    )
    support = SupportContract.objects.create(
        household=d, signed_on=D(2023, 12, 31), initial_end_date=D(2024, 6, 30), referent=staff
    )
    SupportAmendment.objects.create(
        contract=support, number=1, signed_on=D(2024, 6, 30), new_end_date=D(2024, 12, 31)
    )
    for hh, day, kind, domains in (
        (c, D(2024, 4, 4), InteractionType.ATELIER_COLLECTIF, ["emploi", "emploi", "langue"]),
        (c, D(2024, 4, 5), InteractionType.VISITE_CONJOINTE, []),
        (d, D(2024, 12, 31), InteractionType.ACCOMPAGNEMENT_EXTERIEUR, ["titre_sejour"]),
        (e, D(2024, 6, 6), InteractionType.TELEPHONE, ["mobilite"]),
    ):
        InteractionFactory(
            organisation=organisation, household=hh, date=day, kind=kind, domains=domains
        )
    workshop = WorkshopFactory(organisation=organisation, date=D(2024, 12, 31))
    for participant in (*c.persons.all(), *e.persons.all()):
        WorkshopParticipant.objects.create(workshop=workshop, person=participant)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, END),
        (D(2024, 3, 1), D(2024, 3, 1)),
        (D(2024, 2, 29), D(2025, 2, 28)),
        (D(2022, 6, 1), D(2024, 5, 31)),
    ],
)
def test_edge_cases(org_a, start, end):
    dispositif = DispositifFactory(
        organisation=org_a, code="IML-E", age_brackets="0-20;21-25;26-30;31+",
        category="psy", zone="tendue",
    )  # fmt: skip
    build_edges(org_a, dispositif)
    report = assert_same_figures(org_a, dispositif, start, end)
    if (start, end) == (START, END):  # the dataset covers what it says
        assert report["exits"]["sinistralite"]["multiple"] == 2  # E-A and E-D
        assert report["housing"]["occupancy_rate"] > 0
        # A structure named "inconnu" counts with the missing one (E-B and E-C).
        assert report["entries"]["orienting_structures"]["inconnu"] == 2


# --- A random dataset -------------------------------------------------------------------------


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def build_random(organisation, dispositif, seed: int, households: int) -> None:
    """Households with random dates, persons, resources, employment, spaces, ledgers and
    support, within the database's rules."""
    rng = random.Random(seed)
    staff = UserFactory(email=f"random{seed}@alpha.example")
    first, last = D(2021, 1, 1), D(2025, 12, 31)
    structures = ["", "CADA Le Pont", "SIAO 71", "CHRS Les Tilleuls"]
    sectors = ["", "Bresse", "Grand Chalon", "Louhannais"]
    persons = []
    for number in range(households):
        ref = f"R{seed}-{number}"
        orientation = _day(rng, first, D(2025, 6, 30))
        fields = {
            "orientation_date": orientation,
            "orienting_structure": rng.choice(structures),
            "prior_situation": rng.choice(["", *PriorSituation.values]),
            "reinforced_support": rng.random() < 0.3,
        }
        fate = rng.random()
        if fate < 0.1:
            fields["withdrawal_date"] = orientation + datetime.timedelta(rng.randint(0, 90))
            fields["withdrawal_reason"] = rng.choice(WithdrawalReason.values)
        elif fate > 0.15:
            entry_date = orientation + datetime.timedelta(rng.randint(0, 200))
            fields["entry_date"] = entry_date
            exit_date = entry_date + datetime.timedelta(rng.randint(0, 900))
            if rng.random() < 0.6 and exit_date <= last:
                destination = rng.choice(["", *ExitDestination.values])
                fields.update(
                    exit_date=exit_date,
                    exit_destination=destination,
                    bail_glissant=destination in BAIL_GLISSANT_DESTINATIONS and rng.random() < 0.5,
                    exit_support=rng.sample([*ExitSupport.values, "asll"], rng.randint(0, 3)),
                )
        hh = household(dispositif, ref, **fields)
        entry_date, exit_date = hh.entry_date, hh.exit_date

        for index in range(rng.randint(0 if rng.random() < 0.05 else 1, 5)):
            role = PersonRole.REFERENT if index == 0 else rng.choice(
                [PersonRole.CONJOINT, PersonRole.ENFANT, PersonRole.ENFANT, PersonRole.AUTRE]
            )  # fmt: skip
            birth = _day(rng, D(1940, 1, 1), D(2025, 1, 1))
            joined = left = None
            if entry_date and rng.random() < 0.25:
                joined = max(birth, entry_date + datetime.timedelta(rng.randint(-30, 400)))
            if entry_date and rng.random() < 0.25:
                left = max(joined or entry_date, entry_date) + datetime.timedelta(
                    rng.randint(0, 500)
                )
            if (
                exit_date
                and not left
                and (joined or entry_date) <= exit_date
                and rng.random() < 0.1
            ):
                left = exit_date  # leaves with the household, own date given
            p = person(
                hh,
                role=role,
                sex=rng.choice(Sex.values),
                birth_date=birth,
                joined_date=joined,
                left_date=left,
                nationality=rng.choice(["", "AF", "SY", "FR", "ER", "UA"]),
                protection_status=rng.choice(["", *ProtectionStatus.values]),
            )
            persons.append(p)
            if role != PersonRole.ENFANT:
                for _ in range(rng.randint(0, 2)):
                    EmploymentRecordFactory(
                        organisation=organisation, person=p, date=_day(rng, first, last),
                        employment=rng.choice(Employment.values),
                    )  # fmt: skip

        records = rng.randint(0, 3)
        day = _day(rng, first, last)
        for _ in range(records):
            resources = (
                [Resource.AUCUNE]
                if rng.random() < 0.15
                else rng.sample([r for r in Resource.values if r != Resource.AUCUNE], 2)
            )
            ResourceRecordFactory(
                organisation=organisation, household=hh, date=day, resources=resources
            )
            if rng.random() < 0.6:  # else: two records of one date
                day = _day(rng, first, last)

        if entry_date is None:
            continue
        # Its own space: a whole flat, or a room of a shared flat (sometimes too small).
        whole = rng.random() < 0.6
        captation = entry_date - datetime.timedelta(rng.randint(-20, 300))
        returned = rng.random() < 0.3
        space = unit(
            dispositif,
            f"U-{ref}",
            typology=rng.choice(Typology.values),
            places=rng.randint(1, 4),
            colocation=not whole,
            sector=rng.choice(sectors),
            parc=rng.choice(["prive", "public"]),
            captation_date=captation,
            return_date=_day(rng, captation, D(2026, 6, 30)) if returned else None,
            return_reason=rng.choice(UnitReturnReason.values) if returned else "",
        )
        rooms = [
            room(space, f"U-{ref}-{n}", places=rng.randint(1, 3))
            for n in range(0 if whole else rng.randint(1, 3))
        ]
        start_date = entry_date + datetime.timedelta(rng.randint(0, 10))
        end_date = exit_date if exit_date and exit_date >= start_date else None
        horizon = max(start_date, last)
        contracts = [
            contract(hh, space, f"C-{ref}", start_date, end_date, room=None if whole else rooms[0])
        ]
        if not whole and len(rooms) > 1:
            contracts.append(contract(hh, space, f"C-{ref}-b", start_date, room=rooms[1]))

        # Its ledger: rent calls on distinct months, payments, aids, reversals, damages.
        entries = []
        for contract_ in contracts:
            months = sorted(
                {_day(rng, start_date, end_date or horizon).replace(day=1) for _ in range(6)}
            )
            for month in months:
                entries.append(entry(contract_, month, LedgerKind.APPEL, rng.randint(51, 900)))
            for _ in range(rng.randint(0, 6)):
                kind = rng.choice(
                    [LedgerKind.PAIEMENT, LedgerKind.APL, LedgerKind.AIDE, LedgerKind.DEGRADATION]
                )
                entries.append(
                    entry(contract_, _day(rng, start_date, horizon), kind, rng.randint(1, 800))
                )
            if rng.random() < 0.3:
                amount = E(rng.randint(1, 90))
                sides = {"debit": amount, "credit": E(0)}
                if rng.random() < 0.5:
                    sides = {"debit": E(0), "credit": amount}
                day = _day(rng, start_date, horizon)
                entry(contract_, day, LedgerKind.REGULARISATION, amount, **sides)
        for reversed_ in rng.sample(entries, min(len(entries), rng.randint(0, 3))):
            entry(
                reversed_.contract, reversed_.date + datetime.timedelta(rng.randint(0, 60)),
                LedgerKind.ANNULATION, reversed_.debit or reversed_.credit, reverses=reversed_,
            )  # fmt: skip
        if rng.random() < 0.3:
            signed = _day(rng, start_date, horizon)
            RepaymentPlan.objects.create(
                contract=contracts[0], signed_on=signed, debt=Decimal(100),
                instalment=Decimal(20), first_due_date=signed,
            )  # fmt: skip

        if rng.random() < 0.7:
            signed = entry_date + datetime.timedelta(rng.randint(0, 60))
            support = SupportContract.objects.create(
                household=hh, signed_on=signed,
                initial_end_date=signed + datetime.timedelta(182), referent=staff,
            )  # fmt: skip
            for number_ in range(rng.randint(0, 2)):
                SupportAmendment.objects.create(
                    contract=support, number=number_ + 1,
                    signed_on=signed + datetime.timedelta(180 * (number_ + 1)),
                    new_end_date=signed + datetime.timedelta(180 * (number_ + 2)),
                    justification="Relogement en cours.",
                )  # fmt: skip
        for _ in range(rng.randint(0, 4)):
            InteractionFactory(
                organisation=organisation, household=hh, date=_day(rng, entry_date, horizon),
                kind=rng.choice(InteractionType.values),
                domains=rng.sample([*SupportDomain.values, "budget"], rng.randint(0, 3)),
            )  # fmt: skip

    for _ in range(6):
        workshop = WorkshopFactory(organisation=organisation, date=_day(rng, first, last))
        for participant in rng.sample(persons, min(len(persons), rng.randint(0, 8))):
            WorkshopParticipant.objects.create(workshop=workshop, person=participant)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_dataset(org_a, seed):
    dispositif = DispositifFactory(organisation=org_a, code=f"IML-R{seed}")
    other = DispositifFactory(organisation=org_a, code=f"IML-O{seed}")
    build_random(org_a, dispositif, seed, households=60)
    build_random(org_a, other, seed + 100, households=10)  # counted nowhere
    periods = [
        (START, END),
        (D(2023, 11, 1), D(2024, 10, 31)),
        (D(2022, 7, 1), D(2022, 7, 31)),
        (D(2025, 2, 28), D(2025, 2, 28)),
        (D(2021, 1, 1), D(2025, 12, 31)),
    ]
    for start, end in periods:
        report = assert_same_figures(org_a, dispositif, start, end)
        assert report["households"]["accompanied"] > 0


# --- The benchmark's synthetic history --------------------------------------------------------


def test_the_benchmark_dataset(org_a, tmp_path):
    MembershipFactory(organisation=org_a, user__email=STAFF_EMAIL, role=Role.HEAD)
    today = D(2025, 6, 15)
    folder = synthetic_workbook(60, seed=7, folder=tmp_path / "bench", today=today)
    with organisation_transaction(org_a):
        import_workbook(read_path(folder), org_a, today=today)
    dispositifs = list(Dispositif.objects.filter(organisation=org_a))
    assert len(dispositifs) == 3
    for dispositif in dispositifs:
        for start, end in ((D(2024, 1, 1), D(2024, 12, 31)), (D(2024, 6, 15), D(2025, 6, 14))):
            report = assert_same_figures(org_a, dispositif, start, end)
            assert report["exits"]["households"] > 0
