"""The reference dataset of the annual report tests, and small builders.

``build_reference(organisation, dispositif, tag)`` creates, for one dispositif and the period
2024-01-01 → 2024-12-31 (a leap year: 366 days), ten households, six units and their ledger,
support and workshops; ``EXPECTED`` is the report worked out by hand (comments below). Called
again with another ``tag`` it adds the same data once more (the query-count test).

Households (D0 = 2023-12-31, the date of "present at start"):

| ref | orient. | entry | exit | in the report |
|---|---|---|---|---|
| H1 | 2023-12-01 | 2024-01-01 | — | entered on the first day; a child born 2024-06-10 |
| H2 | 2023-02-01 | 2023-03-15 | 2024-12-31 | exited on the last day (bail glissant) |
| H3 | 2022-01-01 | 2022-03-01 | 2023-12-31 | out the day before: nowhere (but its ledger) |
| H4 | 2023-06-01 | 2023-07-01 | 2024-01-01 | exited on the first day; no resources |
| H5 | 2022-05-01 | 2022-06-01 | — | an adult leaves, a child turns 18 |
| H6 | 2024-03-01 | 2024-04-01 | 2024-08-15 | entered and exited in the period (room contract) |
| H7 | 2024-02-01 | — | — | withdrawn 2024-03-01 (refus_menage) |
| H8 | 2024-11-01 | — | — | pending at end |
| H9 | 2023-10-01 | — | — | withdrawn 2024-01-15 (reorientation) |
| H10 | 2024-12-01 | 2025-01-05 | — | received, pending at end (enters after the period) |

Plus, in another dispositif of the same organisation, H12 and its unit U7: counted nowhere.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from households.models import Household, Person
from housing.models import HousingUnit, Room
from iml.codes import (
    Employment,
    InteractionType,
    LedgerKind,
    PersonRole,
    ProtectionStatus,
    Sex,
    SupportDomain,
    Typology,
)
from support.models import SupportAmendment, SupportContract, WorkshopParticipant
from tenancy.models import Amendment, LedgerEntry, RepaymentPlan, SubleaseContract
from tests.factories import DispositifFactory, UserFactory
from tests.households.factories import (
    EmploymentRecordFactory,
    HouseholdFactory,
    PersonFactory,
    ResourceRecordFactory,
)
from tests.housing.factories import HousingUnitFactory, RoomFactory
from tests.support.factories import InteractionFactory, WorkshopFactory
from tests.tenancy.factories import LedgerEntryFactory, SubleaseContractFactory

D = datetime.date
E = Decimal
START, END = D(2024, 1, 1), D(2024, 12, 31)


# --- Small builders -------------------------------------------------------------------------


def household(dispositif, reference: str, **fields) -> Household:
    fields.setdefault("orientation_date", D(2020, 1, 1))
    return HouseholdFactory(
        organisation=dispositif.organisation, dispositif=dispositif, reference=reference, **fields
    )


def person(household: Household, **fields) -> Person:
    fields.setdefault("sex", Sex.F)
    fields.setdefault("role", PersonRole.AUTRE)
    return PersonFactory(organisation=household.organisation, household=household, **fields)


def unit(dispositif, reference: str, **fields) -> HousingUnit:
    return HousingUnitFactory(
        organisation=dispositif.organisation, dispositif=dispositif, reference=reference, **fields
    )


def room(unit: HousingUnit, reference: str, places: int = 1) -> Room:
    return RoomFactory(unit=unit, reference=reference, label=reference, places=places)


def contract(household, unit, reference: str, start, end=None, room=None) -> SubleaseContract:
    return SubleaseContractFactory(
        organisation=household.organisation,
        household=household,
        unit=unit,
        room=room,
        reference=reference,
        start_date=start,
        actual_end_date=end,
    )


def entry(contract, date, kind, amount, **fields) -> LedgerEntry:
    """A ledger entry, on the side of its kind (an annulation: opposite to what it reverses)."""
    amount = E(amount)
    if kind == LedgerKind.ANNULATION:
        side = "credit" if fields["reverses"].debit else "debit"
    elif kind in (LedgerKind.APPEL, LedgerKind.DEGRADATION):
        side = "debit"
    else:
        side = "credit"
    values = {"debit": E(0), "credit": E(0), side: amount}
    if kind != LedgerKind.PAIEMENT:  # a payment gets a method and a receipt number
        values.update(method="", number="")
    if kind == LedgerKind.APPEL:
        values.update(period=date.replace(day=1), rent_part=amount - E(50), charges_part=E(50))
    values.update(fields)
    return LedgerEntryFactory(
        organisation=contract.organisation, contract=contract, date=date, kind=kind, **values
    )


# --- The reference dataset ------------------------------------------------------------------


def build_reference(organisation, dispositif, tag: str = "") -> dict:
    """The dataset of ``EXPECTED`` (references suffixed with ``tag``)."""
    t = tag
    staff = UserFactory(email=f"referente{t}@alpha.example")

    # Units (all of ``dispositif``):
    # U1 T3 colocation, 2 places, rooms R1 and R2 (1 place each), in stock since 2023.
    # U2 T2, 3 places, whole unit, no sector (a gap), parc public.
    # U3 T4, 4 places, returned 2024-12-31 (glissement_bail: H2's bail glissant).
    # U4 T1, 1 place, returned 2024-03-01 (reprise_proprietaire).
    # U5 T4, 4 places, parc public, H5's whole-unit contract since 2022.
    # U6 T1, 1 place, captured 2024-10-01, vacant.
    u1 = unit(
        dispositif,
        f"U1{t}",
        typology=Typology.T3,
        places=2,
        colocation=True,
        sector="Grand Chalon",
        parc="prive",
        captation_date=D(2023, 1, 1),
    )
    r1, r2 = room(u1, f"R1{t}"), room(u1, f"R2{t}")
    u2 = unit(
        dispositif,
        f"U2{t}",
        typology=Typology.T2,
        places=3,
        sector="",
        parc="public",
        captation_date=D(2023, 6, 1),
    )
    u3 = unit(
        dispositif,
        f"U3{t}",
        typology=Typology.T4,
        places=4,
        sector="Grand Chalon",
        parc="prive",
        captation_date=D(2023, 1, 1),
        return_date=D(2024, 12, 31),
        return_reason="glissement_bail",
    )
    u4 = unit(
        dispositif,
        f"U4{t}",
        typology=Typology.T1,
        places=1,
        sector="Bresse",
        parc="prive",
        captation_date=D(2022, 1, 1),
        return_date=D(2024, 3, 1),
        return_reason="reprise_proprietaire",
    )
    u5 = unit(
        dispositif,
        f"U5{t}",
        typology=Typology.T4,
        places=4,
        sector="Bresse",
        parc="public",
        captation_date=D(2022, 5, 1),
    )
    unit(
        dispositif,
        f"U6{t}",
        typology=Typology.T1,
        places=1,
        sector="Grand Chalon",
        parc="prive",
        captation_date=D(2024, 10, 1),
    )

    # H1: femme avec enfants, entered on the first day, reinforced.
    h1 = household(
        dispositif,
        f"H1{t}",
        orientation_date=D(2023, 12, 1),
        entry_date=D(2024, 1, 1),
        reinforced_support=True,
        prior_situation="asile",
    )
    h1_ref = person(
        h1,
        role=PersonRole.REFERENT,
        sex=Sex.F,
        birth_date=D(1990, 5, 17),
        nationality="SY",
        protection_status=ProtectionStatus.REFUGIE,
    )
    person(
        h1,
        role=PersonRole.ENFANT,
        sex=Sex.M,
        birth_date=D(2015, 3, 3),
        nationality="SY",
        protection_status=ProtectionStatus.REFUGIE,
    )
    # Born during the stay: a person entering, not in entries.persons; no nationality (a gap).
    person(
        h1,
        role=PersonRole.ENFANT,
        sex=Sex.F,
        birth_date=D(2024, 6, 10),
        joined_date=D(2024, 6, 10),
        nationality="",
        protection_status=ProtectionStatus.REFUGIE,
    )
    ResourceRecordFactory(
        organisation=organisation,
        household=h1,
        date=D(2023, 12, 15),
        resources=["rsa", "prestations_familiales"],
    )
    ResourceRecordFactory(
        organisation=organisation,
        household=h1,
        date=D(2024, 9, 1),
        resources=["salaire", "prestations_familiales"],
    )
    for day, situation in (
        (D(2023, 11, 1), Employment.COURS_FRANCAIS),
        (D(2024, 9, 1), Employment.EMPLOI),
        (D(2025, 2, 1), Employment.FORMATION),
    ):
        EmploymentRecordFactory(
            organisation=organisation, person=h1_ref, date=day, employment=situation
        )
    c1 = contract(h1, u2, f"C1{t}", D(2024, 1, 1))
    Amendment.objects.create(
        contract=c1, number=1, signed_on=D(2024, 6, 20), new_end_date=D(2025, 1, 1)
    )

    # H2: couple sans enfant, bail glissant on the last day (whole unit U3).
    h2 = household(
        dispositif,
        f"H2{t}",
        orientation_date=D(2023, 2, 1),
        entry_date=D(2023, 3, 15),
        exit_date=D(2024, 12, 31),
        exit_destination="logement_social",
        bail_glissant=True,
        exit_support=["asll", "agir"],
        prior_situation="tiers",
    )
    h2_ref = person(
        h2,
        role=PersonRole.REFERENT,
        sex=Sex.M,
        birth_date=D(1980, 2, 29),
        nationality="AF",
        protection_status=ProtectionStatus.REFUGIE,
    )
    person(
        h2,
        role=PersonRole.CONJOINT,
        sex=Sex.F,
        birth_date=D(1985, 12, 31),
        nationality="FR",
        protection_status=ProtectionStatus.FRANCAIS,
    )
    ResourceRecordFactory(
        organisation=organisation, household=h2, date=D(2023, 3, 1), resources=["are"]
    )
    ResourceRecordFactory(
        organisation=organisation, household=h2, date=D(2025, 2, 1), resources=["salaire"]
    )
    EmploymentRecordFactory(
        organisation=organisation, person=h2_ref, date=D(2022, 1, 1), employment=Employment.SIAE
    )
    c2 = contract(h2, u3, f"C2{t}", D(2023, 3, 15), D(2024, 12, 31))
    entry(c2, D(2024, 12, 1), LedgerKind.APPEL, "500")
    entry(c2, D(2024, 12, 5), LedgerKind.PAIEMENT, "500")
    entry(c2, D(2025, 1, 10), LedgerKind.DEGRADATION, "300")  # billed after the exit

    # H3: out on 2023-12-31 (first day out): counted nowhere; pays arrears in the period.
    h3 = household(
        dispositif,
        f"H3{t}",
        orientation_date=D(2022, 1, 1),
        entry_date=D(2022, 3, 1),
        exit_date=D(2023, 12, 31),
        exit_destination="tiers",
    )
    person(h3, role=PersonRole.REFERENT, nationality="", protection_status="")
    c3 = contract(h3, u4, f"C3{t}", D(2022, 3, 1), D(2023, 12, 31))
    entry(c3, D(2023, 11, 1), LedgerKind.APPEL, "50")
    entry(c3, D(2024, 1, 20), LedgerKind.PAIEMENT, "50")

    # H4: homme seul, out on 2024-01-01 from room R1; no resources, no destination, a debt.
    h4 = household(
        dispositif,
        f"H4{t}",
        orientation_date=D(2023, 6, 1),
        entry_date=D(2023, 7, 1),
        exit_date=D(2024, 1, 1),
        prior_situation="rue",
    )
    h4_ref = person(
        h4,
        role=PersonRole.REFERENT,
        sex=Sex.M,
        birth_date=D(2000, 1, 1),
        nationality="ER",
        protection_status=ProtectionStatus.APATRIDE,
    )
    c4 = contract(h4, u1, f"C4{t}", D(2023, 7, 1), D(2024, 1, 1), room=r1)
    entry(c4, D(2023, 12, 1), LedgerKind.APPEL, "300")
    RepaymentPlan.objects.create(
        contract=c4,
        signed_on=D(2023, 12, 15),
        debt=E(300),
        instalment=E(50),
        first_due_date=D(2024, 1, 15),
    )

    # H5: present all along; the conjoint leaves, a child turns 18 on 2024-09-15.
    h5 = household(
        dispositif,
        f"H5{t}",
        orientation_date=D(2022, 5, 1),
        entry_date=D(2022, 6, 1),
        prior_situation="",
    )
    h5_ref = person(
        h5,
        role=PersonRole.REFERENT,
        sex=Sex.M,
        birth_date=D(1975, 4, 4),
        nationality="AF",
        protection_status="",
    )
    h5_partner = person(
        h5,
        role=PersonRole.CONJOINT,
        sex=Sex.F,
        birth_date=D(1972, 8, 8),
        left_date=D(2024, 5, 1),
        nationality="AF",
        protection_status="",
    )
    person(
        h5,
        role=PersonRole.ENFANT,
        sex=Sex.F,
        birth_date=D(2006, 9, 15),
        nationality="AF",
        protection_status=ProtectionStatus.PROTECTION_SUBSIDIAIRE,
    )
    person(
        h5,
        role=PersonRole.ENFANT,
        sex=Sex.M,
        birth_date=D(2010, 1, 1),
        nationality="AF",
        protection_status=ProtectionStatus.PROTECTION_SUBSIDIAIRE,
    )
    ResourceRecordFactory(
        organisation=organisation, household=h5, date=D(2024, 2, 1), resources=["rsa"]
    )
    # Same date, recorded last: wins.
    ResourceRecordFactory(
        organisation=organisation,
        household=h5,
        date=D(2024, 2, 1),
        resources=["rsa", "prime_activite"],
    )
    EmploymentRecordFactory(
        organisation=organisation,
        person=h5_ref,
        date=D(2024, 3, 1),
        employment=Employment.SANS_EMPLOI,
    )
    EmploymentRecordFactory(
        organisation=organisation, person=h5_partner, date=D(2023, 1, 1), employment=Employment.SIAE
    )
    c5 = contract(h5, u5, f"C5{t}", D(2022, 6, 1))
    entry(c5, D(2024, 12, 1), LedgerKind.APPEL, "600")
    entry(c5, D(2024, 12, 10), LedgerKind.AIDE, "600")
    RepaymentPlan.objects.create(
        contract=c5,
        signed_on=D(2024, 3, 1),
        debt=E(100),
        instalment=E(50),
        first_due_date=D(2024, 4, 1),
    )

    # H6: personne seule (sex x), in room R2 from 2024-04-01 to 2024-08-15.
    h6 = household(
        dispositif,
        f"H6{t}",
        orientation_date=D(2024, 3, 1),
        entry_date=D(2024, 4, 1),
        exit_date=D(2024, 8, 15),
        exit_destination="hebergement_urgence",
        reinforced_support=True,
        prior_situation="hebergement_generaliste",
        orienting_structure="",
    )
    h6_ref = person(
        h6,
        role=PersonRole.REFERENT,
        sex=Sex.X,
        birth_date=D(1960, 6, 30),
        nationality="SY",
        protection_status=ProtectionStatus.AUTRE,
    )
    ResourceRecordFactory(
        organisation=organisation, household=h6, date=D(2024, 5, 1), resources=["aah"]
    )
    EmploymentRecordFactory(
        organisation=organisation,
        person=h6_ref,
        date=D(2024, 12, 31),
        employment=Employment.RETRAITE,
    )
    EmploymentRecordFactory(
        organisation=organisation, person=h6_ref, date=D(2025, 1, 15), employment=Employment.ETUDES
    )
    c6 = contract(h6, u1, f"C6{t}", D(2024, 4, 1), D(2024, 8, 15), room=r2)
    entry(c6, D(2024, 4, 1), LedgerKind.APPEL, "300")
    entry(c6, D(2024, 4, 10), LedgerKind.PAIEMENT, "300")
    may = entry(c6, D(2024, 5, 1), LedgerKind.APPEL, "300")
    entry(c6, D(2024, 5, 3), LedgerKind.ANNULATION, "300", reverses=may)
    damage = entry(c6, D(2024, 9, 1), LedgerKind.DEGRADATION, "150")
    entry(c6, D(2024, 9, 15), LedgerKind.ANNULATION, "150", reverses=damage)

    # H1's ledger: a payment reversed (a bounced cheque).
    entry(c1, D(2024, 1, 1), LedgerKind.APPEL, "450")
    entry(c1, D(2024, 1, 10), LedgerKind.APL, "250")
    entry(c1, D(2024, 1, 15), LedgerKind.PAIEMENT, "200")
    entry(c1, D(2024, 2, 1), LedgerKind.APPEL, "450")
    entry(c1, D(2024, 2, 10), LedgerKind.APL, "250")
    bounced = entry(c1, D(2024, 2, 15), LedgerKind.PAIEMENT, "100")
    entry(c1, D(2024, 2, 20), LedgerKind.ANNULATION, "100", reverses=bounced)

    # Orientations that never entered in the period.
    h7 = household(
        dispositif,
        f"H7{t}",
        orientation_date=D(2024, 2, 1),
        withdrawal_date=D(2024, 3, 1),
        withdrawal_reason="refus_menage",
    )
    person(h7, role=PersonRole.REFERENT, nationality="", protection_status="")
    household(dispositif, f"H8{t}", orientation_date=D(2024, 11, 1))
    household(
        dispositif,
        f"H9{t}",
        orientation_date=D(2023, 10, 1),
        withdrawal_date=D(2024, 1, 15),
        withdrawal_reason="reorientation",
    )
    h10 = household(
        dispositif, f"H10{t}", orientation_date=D(2024, 12, 1), entry_date=D(2025, 1, 5)
    )
    person(h10, role=PersonRole.REFERENT, nationality="")

    # Another dispositif of the organisation: counted nowhere.
    other = DispositifFactory(organisation=organisation, code=f"AUTRE{t}")
    h12 = household(other, f"H12{t}", entry_date=D(2023, 1, 1))
    h12_ref = person(h12, role=PersonRole.REFERENT, nationality="")
    u7 = unit(other, f"U7{t}", captation_date=D(2022, 1, 1), sector="")
    c12 = contract(h12, u7, f"C12{t}", D(2023, 1, 1))
    entry(c12, D(2024, 3, 1), LedgerKind.APPEL, "999")

    # Support.
    SupportContract.objects.create(
        household=h1, signed_on=D(2024, 1, 20), initial_end_date=D(2024, 7, 20), referent=staff
    )
    h5_support = SupportContract.objects.create(
        household=h5, signed_on=D(2022, 6, 15), initial_end_date=D(2022, 12, 15), referent=staff
    )
    SupportAmendment.objects.create(
        contract=h5_support, number=1, signed_on=D(2023, 12, 1), new_end_date=D(2024, 6, 15)
    )
    SupportAmendment.objects.create(
        contract=h5_support, number=2, signed_on=D(2024, 6, 1), new_end_date=D(2024, 12, 15)
    )
    for hh, day, kind, domains in (
        (h1, D(2024, 2, 1), InteractionType.VISITE_DOMICILE, ["logement", "budget"]),
        (h1, D(2024, 3, 1), InteractionType.RDV_NON_HONORE, []),
        (h5, D(2024, 5, 5), InteractionType.TELEPHONE, [SupportDomain.SANTE]),
        (h6, D(2023, 12, 20), InteractionType.RDV_BUREAU, [SupportDomain.ADMINISTRATIF]),
        (h12, D(2024, 5, 5), InteractionType.TELEPHONE, [SupportDomain.SANTE]),
    ):
        InteractionFactory(
            organisation=organisation, household=hh, date=day, kind=kind, domains=domains
        )
    for day, persons in (
        (D(2024, 4, 10), [h1_ref, h5_ref, h12_ref]),
        (D(2024, 6, 10), [h1_ref, h6_ref]),
        (D(2023, 11, 11), [h4_ref]),
    ):
        workshop = WorkshopFactory(organisation=organisation, date=day)
        for participant in persons:
            WorkshopParticipant.objects.create(workshop=workshop, person=participant)
    return {"h1": h1, "h2": h2, "h4": h4, "h5": h5, "h6": h6, "u2": u2}


# The expected report lives beside the data (its own module: the hand computation is long).
from tests.reporting.expected import EXPECTED  # noqa: E402, F401
