"""Demo households for the two demo services, modelled on seeds 000 and 001.

Deterministic (a random generator seeded by the organisation's slug, fixed dates) and
idempotent: a household whose reference exists is left as it is. Households go through the
real services, so that their timeline shows the same events as real ones.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from dataclasses import dataclass

from households import services
from households.models import Household
from households.services import PersonData
from iml.codes import (
    Employment,
    ExitDestination,
    PersonRole,
    PriorSituation,
    ProtectionStatus,
    Resource,
    Sex,
    WithdrawalReason,
)


# Nationalities of seed 000's chart (Afghanistan first) and of the Somme's families.
@dataclass(frozen=True)
class Stay:
    """A planned stay of a demo household, recorded by ``tenancy.demo_stays``."""

    entered: datetime.date
    exited: datetime.date | None
    household: Household
    resources: list[str]
    employment: str
    destination: str | None
    followed_by_agir: bool


# Organisation id -> the stays the last ``seed`` planned (households created by that run).
PLANNED_STAYS: dict[int, list[Stay]] = {}

NAMES = {
    "AF": (["Ahmad", "Mohammad", "Rahim", "Nasir", "Javid", "Farid"], ["Zahra", "Fatima", "Mariam"],
           ["Ahmadi", "Rahimi", "Karimi", "Noori", "Hakimi", "Sultani"]),
    "SD": (["Adam", "Osman", "Abdallah", "Ibrahim", "Yousif"], ["Amna", "Hawa", "Salma"],
           ["Abakar", "Ishag", "Mohamed", "Hassan", "Suleiman"]),
    "ER": (["Yonas", "Tesfay", "Dawit", "Filmon"], ["Senait", "Helen", "Ruth"],
           ["Haile", "Tesfamariam", "Gebremedhin", "Berhane"]),
    "ET": (["Abebe", "Tadesse", "Kebede"], ["Meron", "Hiwot", "Selam"],
           ["Tadesse", "Bekele", "Girma"]),
    "YE": (["Ali", "Saleh", "Nabil"], ["Amal", "Huda", "Nour"], ["Al-Haddad", "Saeed", "Qasim"]),
    "BD": (["Rahman", "Sohel", "Imran"], ["Nasrin", "Shirin", "Ayesha"],
           ["Hossain", "Rahman", "Uddin", "Islam"]),
    "SY": (["Omar", "Khaled", "Ahmad"], ["Rania", "Lina", "Yasmin"],
           ["Al-Khatib", "Haddad", "Darwish"]),
    "GN": (["Mamadou", "Alpha", "Ibrahima"], ["Aissatou", "Mariama", "Fatoumata"],
           ["Diallo", "Bah", "Camara", "Barry"]),
}  # fmt: skip

STRUCTURES = {
    "le-pont": [
        "HUDA Le Pont Le Creusot",
        "CADA Le Pont Chalon-sur-Saône",
        "HUDA ADOMA Chalon-sur-Saône",
        "CADA Le Pont Le Creusot",
    ],
    "apremis": ["CADA Amiens", "HUDA Abbeville", "CPH Amiens", "CAO Albert"],
}

EXIT_DESTINATIONS = {
    # Seed 000: 5 social landlords, 1 social residence, 1 with friends, 1 without address.
    "le-pont": [
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_ACCOMPAGNE,
        ExitDestination.TIERS,
        ExitDestination.SANS_ADRESSE,
    ],
    "apremis": [
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.LOGEMENT_PRIVE,
        ExitDestination.HORS_DEPARTEMENT,
        ExitDestination.LOGEMENT_SOCIAL,
        ExitDestination.HEBERGEMENT_INSERTION,
    ],
}


@dataclass(frozen=True)
class Plan:
    """What happens to one demo household."""

    reference: str
    oriented: datetime.date
    entered: datetime.date | None = None
    exited: datetime.date | None = None
    withdrawn: datetime.date | None = None


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _plans(slug: str, rng: random.Random, counts: dict[str, int]) -> list[Plan]:
    prefix = "BPI" if slug == "le-pont" else "IMLR"
    plans: list[Plan] = []
    number = 0

    def reference() -> str:
        nonlocal number
        number += 1
        return f"{prefix}-{number:03d}"

    for _ in range(counts["present"]):
        oriented = _day(rng, datetime.date(2024, 9, 1), datetime.date(2026, 5, 31))
        entered = oriented + datetime.timedelta(days=rng.randint(20, 120))
        plans.append(Plan(reference(), oriented, entered))
    for _ in range(counts["exited"]):
        oriented = _day(rng, datetime.date(2023, 6, 1), datetime.date(2025, 1, 31))
        entered = oriented + datetime.timedelta(days=rng.randint(20, 90))
        exited = entered + datetime.timedelta(days=rng.randint(150, 560))
        plans.append(Plan(reference(), oriented, entered, exited=exited))
    for _ in range(counts["waiting"]):
        oriented = _day(rng, datetime.date(2026, 6, 1), datetime.date(2026, 10, 31))
        plans.append(Plan(reference(), oriented))
    for _ in range(counts["withdrawn"]):
        oriented = _day(rng, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
        plans.append(Plan(reference(), oriented, withdrawn=oriented + datetime.timedelta(60)))
    return plans


def _person(rng: random.Random, nationality: str, role: str, sex: str, birth: datetime.date):
    men, women, surnames = NAMES[nationality]
    return PersonData(
        last_name=rng.choice(surnames),
        first_name=rng.choice(men if sex == Sex.M else women),
        sex=sex,
        birth_date=birth,
        role=role,
        nationality=nationality,
        # Two refugees for one subsidiary protection.
        protection_status=rng.choice(
            [ProtectionStatus.REFUGIE] * 2 + [ProtectionStatus.PROTECTION_SUBSIDIAIRE]
        ),
    )


def _birth(rng: random.Random, age_from: int, age_to: int) -> datetime.date:
    return _day(rng, datetime.date(2025 - age_to, 1, 1), datetime.date(2025 - age_from, 12, 28))


def seed(*, organisation, demo, dispositif, users) -> None:
    slug = demo.slug
    rng = random.Random(f"{slug}-households")
    families = slug == "apremis"
    counts = (
        {"present": 17, "exited": 6, "waiting": 3, "withdrawn": 2}
        if families
        else {"present": 11, "exited": 8, "waiting": 3, "withdrawn": 4}
    )
    nationalities = ["AF"] * 6 + ["SD", "ER", "ET", "YE", "BD"] + (["SY", "GN"] if families else [])
    referent = users["social_worker"]
    existing = set(Household.objects.values_list("reference", flat=True))
    exits = iter(EXIT_DESTINATIONS[slug])
    withdrawal_reasons = iter(
        [WithdrawalReason.SITUATION_CHANGEE, WithdrawalReason.REORIENTATION] * 2
    )
    stays: list[Stay] = []
    for plan in _plans(slug, rng, counts):
        nationality = rng.choice(nationalities)
        # Draw everything first: skipping an existing household must not shift the others.
        head_sex = Sex.M if not families or rng.random() < 0.6 else Sex.F
        head = _person(rng, nationality, PersonRole.REFERENT, head_sex, _birth(rng, 20, 50))
        others: list[PersonData] = []
        if families:
            if head_sex == Sex.M or rng.random() < 0.3:
                partner_sex = Sex.F if head_sex == Sex.M else Sex.M
                others.append(
                    _person(rng, nationality, PersonRole.CONJOINT, partner_sex, _birth(rng, 20, 45))
                )
            for _ in range(rng.randint(0, 4)):
                child_sex = rng.choice([Sex.F, Sex.M])
                child = _person(rng, nationality, PersonRole.ENFANT, child_sex, _birth(rng, 0, 19))
                # Children carry the family name.
                others.append(dataclasses.replace(child, last_name=head.last_name))
        resources = rng.choice(
            [[Resource.RSA], [Resource.SALAIRE], [Resource.PRIME_ACTIVITE, Resource.SALAIRE],
             [Resource.PRESTATIONS_FAMILIALES, Resource.RSA], [Resource.AUCUNE], [Resource.CEJ]]
        )  # fmt: skip
        employment = rng.choice(list(Employment))
        structure = rng.choice(STRUCTURES[slug])
        reinforced = rng.random() < 0.15
        siao_reference = f"SIAO-{demo.departement}-{plan.oriented:%y}{rng.randint(1000, 9999)}"
        followed_by_agir = rng.random() < 0.4
        destination = next(exits, ExitDestination.LOGEMENT_SOCIAL) if plan.exited else None
        reason = next(withdrawal_reasons) if plan.withdrawn else None
        if plan.reference in existing:
            continue
        household = services.household_orient(
            dispositif=dispositif,
            reference=plan.reference,
            siao_reference=siao_reference,
            orientation_date=plan.oriented,
            orienting_structure=structure,
            prior_situation=PriorSituation.ASILE,
            reinforced_support=reinforced,
            referent=referent,
            reference_person=head,
            others=others,
            by=referent,
        )
        if plan.withdrawn:
            services.household_withdraw(
                household=household,
                withdrawal_date=plan.withdrawn,
                reason=reason,
                by=referent,
            )
            continue
        if not plan.entered:
            continue
        stays.append(
            Stay(plan.entered, plan.exited, household, resources, employment, destination,
                 followed_by_agir)
        )  # fmt: skip

    # The stays (entries with their sublease contracts, exits) are tenancy's to record:
    # ``tenancy.demo_stays`` runs next and takes them.
    PLANNED_STAYS[organisation.pk] = stays
