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


def _cells(**cells) -> dict:
    """A typology breakdown: every code at zero but those given (households, children,
    reinforced)."""
    codes = (
        "femme_seule",
        "homme_seul",
        "personne_seule",
        "couple_sans_enfant",
        "groupe_adultes",
        "femme_avec_enfants",
        "homme_avec_enfants",
        "personne_avec_enfants",
        "couple_avec_enfants",
        "inconnu",
    )
    return {
        code: dict(
            zip(("households", "children", "reinforced"), cells.get(code, (0, 0, 0)), strict=True)
        )
        for code in codes
    }


def _codes(codes, **counts) -> dict:
    return {code: counts.get(code, 0) for code in codes}


PROTECTION = (
    "refugie",
    "protection_subsidiaire",
    "apatride",
    "regularise",
    "demandeur_asile",
    "francais",
    "autre",
    "inconnu",
)
PRIOR = (
    "asile",
    "hebergement_generaliste",
    "logement_adapte",
    "logement_autonome",
    "tiers",
    "rue",
    "autre",
    "inconnu",
)
DESTINATIONS = (
    "logement_social",
    "logement_prive",
    "logement_accompagne",
    "hors_departement",
    "tiers",
    "hebergement_insertion",
    "hebergement_urgence",
    "institution",
    "changement_dispositif",
    "sans_adresse",
    "expulsion",
    "deces",
    "fin_prise_en_charge",
    "autre",
    "inconnu",
)


def _destinations(**cells) -> dict:
    return {
        code: dict(
            zip(
                ("households", "bail_glissant", "reinforced"),
                cells.get(code, (0, 0, 0)),
                strict=True,
            )
        )
        for code in DESTINATIONS
    }


# The report of ``build_reference`` over 2024, worked out by hand.
EXPECTED = {
    "period": {"start": "2024-01-01", "end": "2024-12-31"},
    "dispositif": "IML-A",
    # Present at start (2023-12-31): H2, H4, H5 (H3 left on 2023-12-31, first day out).
    # Entered: H1 (2024-01-01), H6. Exited: H4 (2024-01-01), H6, H2 (2024-12-31).
    # Present at end: H1, H5 (H2's exit date is the last day: out). 3 + 2 - 3 = 2.
    "households": {
        "present_at_start": 3,
        "entered": 2,
        "exited": 3,
        "present_at_end": 2,
        "accompanied": 5,
    },
    # Persons at start: H2 x2, H4, H5 x4 = 7. Entered: H1 mother and son, H1 newborn, H6 = 4.
    # Exited: H5's conjoint (2024-05-01), H2 x2, H4, H6 = 5. At end: H1 x3, H5 x3 = 6.
    "persons": {
        "present_at_start": 7,
        "entered": 4,
        "exited": 5,
        "present_at_end": 6,
        "accompanied": 11,
    },
    # H1 (mother 34, son 9, newborn 0; reinforced) and H5 (father 49, daughter 18 on
    # 2024-09-15: a child of age, son 14), reference date 2024-12-31.
    "present_at_end": {
        "households": 2,
        "persons": 6,
        "adults": 2,
        "children": 4,
        "children_of_age": 1,
        "reinforced": 1,
        "typology": _cells(femme_avec_enfants=(1, 2, 1), homme_avec_enfants=(1, 2, 0)),
        # H5's father has no status (a gap).
        "protection_status": _codes(PROTECTION, refugie=3, protection_subsidiaire=2, inconnu=1),
        "age_brackets": {"0-17": 3, "18-24": 1, "25-39": 1, "40-59": 1, "60+": 0},
        # H1: the 2024-09-01 record; H5: two records of 2024-02-01, the last recorded wins.
        "resources": {"prestations_familiales+salaire": 1, "prime_activite+rsa": 1, "inconnu": 0},
        "prior_situation": _codes(PRIOR, asile=1, inconnu=1),
        # H1: 11 months (365 days), H5: 30 months (944 days); (365 + 944) / 2 / 30.4375 = 21.50.
        "stay_length": {"lt6": 0, "m6_12": 1, "gt12": 1, "average_months": 21.5},
    },
    # H1 on 2024-01-01 (mother 33, son 8: the newborn is not there yet) and H6 on 2024-04-01
    # (63, sex x).
    "entries": {
        "households": 2,
        "persons": 3,
        "adults": 2,
        "children": 1,
        "children_of_age": 0,
        "reinforced": 2,
        "typology": _cells(femme_avec_enfants=(1, 1, 1), personne_seule=(1, 0, 1)),
        "protection_status": _codes(PROTECTION, refugie=2, autre=1),
        "age_brackets": {"0-17": 1, "18-24": 0, "25-39": 1, "40-59": 0, "60+": 1},
        # H1 at entry: the 2023-12-15 record; H6: none before entry, so the earliest.
        "resources": {"aah": 1, "prestations_familiales+rsa": 1, "inconnu": 0},
        "prior_situation": _codes(PRIOR, asile=1, hebergement_generaliste=1),
        "orienting_structures": {"CADA Le Pont Chalon-sur-Saône": 1, "inconnu": 1},
    },
    # H2 on 2024-12-31 (father born 29 Feb 1980: 44; mother 39 that very day), H4 on
    # 2024-01-01 (24), H6 on 2024-08-15 (64). H5's conjoint left alone: not an exit.
    "exits": {
        "households": 3,
        "persons": 4,
        "adults": 4,
        "children": 0,
        "children_of_age": 0,
        "reinforced": 1,
        "typology": _cells(
            couple_sans_enfant=(1, 0, 0), homme_seul=(1, 0, 0), personne_seule=(1, 0, 1)
        ),
        "protection_status": _codes(PROTECTION, refugie=1, francais=1, apatride=1, autre=1),
        "age_brackets": {"0-17": 0, "18-24": 1, "25-39": 1, "40-59": 1, "60+": 1},
        "resources": {"aah": 1, "are": 1, "inconnu": 1},
        "prior_situation": _codes(PRIOR, tiers=1, rue=1, hebergement_generaliste=1),
        # H2: 21 months (657 days), H4: 6 (184), H6: 4 (136); 977 / 3 / 30.4375 = 10.70.
        "stay_length": {"lt6": 1, "m6_12": 1, "m13_18": 0, "gt18": 1, "average_months": 10.7},
        "destinations": _destinations(
            logement_social=(1, 1, 0), hebergement_urgence=(1, 0, 1), inconnu=(1, 0, 0)
        ),
        "destination_categories": {
            "perenne": 1,
            "transitoire": 1,
            "sans_solution": 0,
            "autre": 0,
            "inconnu": 1,
        },
        "exit_support": {"agir": 1, "asll": 1, "avdl": 0, "iml": 0, "autre": 0},
        # H6: calls paid or reversed, damage reversed → aucun; H4: 300 called, unpaid →
        # impaye; H2: rent paid, damage billed after the exit → degradation.
        "sinistralite": {"aucun": 1, "impaye": 1, "degradation": 1, "multiple": 0},
    },
    # Received: H6, H7, H8, H10; admitted: H6; pending at end: H8, H10 (enters in 2025).
    "orientations": {
        "received": 4,
        "admitted": 1,
        "withdrawn": {
            "situation_changee": 0,
            "reorientation": 1,
            "refus_menage": 1,
            "refus_operateur": 0,
            "sans_nouvelles": 0,
            "autre": 0,
            "inconnu": 0,
        },
        "pending_at_end": 2,
    },
    # At end: U1 (2 places, 2 rooms, vacant), U2 (3, occupied by H1), U5 (4, H5), U6 (1,
    # vacant). Place-days available: U1 2 x 366 + U2 3x366 + U3 4x365 + U4 1x60 + U5 4x366
    # + U6 1x92 = 4906; occupied: U1 R2 136 days (H6) + U2 1098 + U3 1460 + U5 1464 = 4158;
    # 4158 / 4906 = 84.75 %.
    "housing": {
        "units_at_end": 4,
        "places_at_end": 10,
        "units_by_typology_at_end": {"t1": 1, "t2": 1, "t3": 1, "t4": 1, "t5": 0, "t6": 0},
        "rooms_at_end": 2,
        "captured": 1,
        "returned": 2,
        "returned_by_reason": {
            "glissement_bail": 1,
            "reprise_proprietaire": 1,
            "fin_convention": 0,
            "insecurite": 0,
            "autre": 0,
            "inconnu": 0,
        },
        "vacant_units_at_end": 2,
        "occupied_units_at_end": 2,
        "occupancy_rate": 84.8,
        "by_parc_at_end": {"prive": 2, "public": 2},
        "by_sector_at_end": {"Bresse": 1, "Grand Chalon": 2, "inconnu": 1},
    },
    # The 11 persons accompanied (H1's newborn has no nationality).
    "nationalities": {"AF": 5, "ER": 1, "FR": 1, "SY": 3, "inconnu": 1},
    "sex": {"f": 5, "m": 5, "x": 1},
    "support": {
        "contracts_signed": 1,
        "amendments_signed": 1,
        "interactions_by_type": {
            "visite_domicile": 1,
            "rdv_bureau": 0,
            "telephone": 1,
            "visite_conjointe": 0,
            "accompagnement_exterieur": 0,
            "atelier_collectif": 0,
            "rdv_non_honore": 1,
        },
        "interactions_by_domain": {
            "administratif": 0,
            "budget": 1,
            "logement": 1,
            "sante": 1,
            "emploi": 0,
            "langue": 0,
            "titre_sejour": 0,
            "famille": 0,
            "social": 0,
            "mobilite": 0,
        },
        "households_with_interaction": 2,
        # H1's mother (twice), H5's father, H6: 3 persons (H12's is of another dispositif).
        "workshop_participants": 3,
        # Adults accompanied: H1 mother (emploi: 2024-09-01, not the 2025 record), H2 father
        # (siae, 2022: latest before), H2 mother (none), H4 (none), H5 father (sans_emploi),
        # H5 conjoint (siae), H6 (retraite on the last day).
        "employment": {
            "sans_emploi": 1,
            "cours_francais": 0,
            "siae": 2,
            "emploi": 1,
            "formation": 0,
            "independant": 0,
            "etudes": 0,
            "retraite": 1,
            "inactif": 0,
            "inconnu": 2,
        },
    },
    # Called: H1 900 + H2 500 + H5 600 + H6 (300 + 300 - 300 reversed) = 2300.
    # Households: H1 200 + 100 - 100 (reversed) + H2 500 + H3 50 + H6 300 = 1050.
    # CAF: H1 500. Aids: H5 600. (1050 + 500 + 600) / 2300 = 93.48 %.
    # At end: H1 owes 1000 - 800 = 200, H5 is at 0. Plans: H5's (2024-03-01).
    "rent": {
        "called": "2300.00",
        "paid_by_household": "1050.00",
        "paid_by_caf": "500.00",
        "paid_by_aids": "600.00",
        "collection_rate": 93.5,
        "households_up_to_date_at_end": 1,
        "households_in_debt_at_end": 1,
        "debt_at_end": "200.00",
        "repayment_plans_opened": 1,
    },
    # Unit-days: 366 + 366 + 365 + 60 + 366 + 92 = 1615; / 366 = 4.41; 4.4 x 5 000 € (classique,
    # zone détendue: the dispositif of the fixture).
    "funding": {"average_units": 4.4, "ceiling_per_unit": "5000.00", "theoretical": "22000.00"},
    # Gaps: H5 prior situation, H5 father's status, H6 orienting structure, H4 resources,
    # H4 destination, U2 sector, H1 newborn's nationality, H2 mother's and H4's employment.
    # (H5's conjoint has no status but is in no group; H3, H7, H10, H12: counted nowhere.)
    "quality": {"gaps": 9, "checks": {"households_balance": True, "persons_balance": True}},
}
