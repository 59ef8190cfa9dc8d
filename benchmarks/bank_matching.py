"""The bank matching benchmark: a 2 000-line statement matched against ~300 households.

A new organisation gets ``households`` households (one or two persons, a running contract,
three months of rent calls and two payments each), written by ``bulk_create`` in a few
seconds; then a statement of ``lines`` lines in the shapes banks write them (« VIR SEPA
DIALLO AMINATA », the first name first, a typing error, a contract reference, an aid, an
unknown payer, an amount alone, debits) is matched by ``banking.matching.match_lines``, the
one function timed. Everything is rolled back at the end.

Run by ``make bench`` (step ``banque``), and by ``tests/banking/test_matching.py``.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.crypto import get_random_string

from banking.matching import match_lines
from banking.models import BankAccount, BankLine, BankStatement
from households.models import Household, Person, fold
from housing.models import HousingUnit
from iml.codes import (
    LedgerKind,
    ManagementMode,
    Parc,
    PaymentMethod,
    PersonRole,
    ProtectionStatus,
    Sex,
    Typology,
)
from iml.models import Dispositif, DispositifCategory, Organisation, Zone
from iml.rls import organisation_transaction
from tenancy.models import LedgerEntry, SubleaseContract

SECONDS = 5.0  # "a few seconds": the figure the result is judged against
LAST_NAMES = [
    "Diallo", "Keïta", "Traoré", "Camara", "Coulibaly", "Koné", "Touré", "Cissé", "Sow",
    "Bah", "Ndiaye", "Fofana", "Sylla", "Haidari", "Ahmadi", "Rahimi", "Popescu", "Ionescu",
    "Martin", "Bernard", "Dubois", "Petit", "Lefèvre", "Moreau", "Girard", "Mercier",
    "Benali", "Haddad", "Mansour", "Yilmaz", "Kaya", "Tesfaye", "Gebremedhin", "Abdi",
    "Hussein", "Nasser", "Okafor", "Mensah", "Kouassi", "Nguyen", "Tran", "Petrov",
]  # fmt: skip
FIRST_NAMES = [
    "Aminata", "Moussa", "Fatoumata", "Mamadou", "Aïssatou", "Ibrahima", "Mariam", "Oumar",
    "Awa", "Sékou", "Hawa", "Abdoulaye", "Yonas", "Selam", "Ahmad", "Zahra", "Farid",
    "Leïla", "Ioana", "Andrei", "Marie", "Jean", "Sophie", "Karim", "Nadia", "Youssef",
    "Amina", "Issa", "Chinedu", "Kofi", "Linh", "Olga", "Dmitri", "Hélène", "Noël",
]  # fmt: skip
STRANGERS = ["SCI DES TILLEULS", "DUPONT ROBERT", "ASSURANCE MUTUELLE", "REMB TROP PERCU"]


@dataclass
class MatchingTiming:
    lines: int
    households: int
    seconds: float = 0.0
    queries: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.seconds <= SECONDS


class _Rollback(Exception):
    pass


def build_households(organisation: Organisation, households: int, rng: random.Random,
                     today: datetime.date) -> list[SubleaseContract]:  # fmt: skip
    """Households with persons, running contracts and a ledger, by ``bulk_create``."""
    start = (today.replace(day=1) - datetime.timedelta(days=80)).replace(day=1)
    dispositif = Dispositif.objects.create(
        organisation=organisation, code="BANC", name="Banc bancaire",
        category=DispositifCategory.CLASSIQUE, zone=Zone.DETENDUE, places=households,
    )  # fmt: skip
    units = HousingUnit.objects.bulk_create(
        HousingUnit(
            organisation=organisation, dispositif=dispositif, reference=f"LOG-{n:04d}",
            address=f"{n + 1} rue de la Gare", postcode="71100", city="Chalon-sur-Saône",
            typology=Typology.T2, places=2, parc=Parc.PRIVE,
            management_mode=ManagementMode.SOUS_LOCATION, captation_date=start,
        )
        for n in range(households)
    )  # fmt: skip
    homes = Household.objects.bulk_create(
        Household(
            organisation=organisation, dispositif=dispositif, reference=f"M-{n:04d}",
            orientation_date=start - datetime.timedelta(days=30), entry_date=start,
        )
        for n in range(households)
    )  # fmt: skip
    persons = []
    for home in homes:
        last = rng.choice(LAST_NAMES)
        for role in [PersonRole.REFERENT] + ([PersonRole.CONJOINT] if rng.random() < 0.4 else []):
            first = rng.choice(FIRST_NAMES)
            persons.append(Person(
                organisation=organisation, household=home, last_name=last, first_name=first,
                search_name=fold(f"{first} {last}"), sex=Sex.F, role=role,
                birth_date=datetime.date(1985, 1, 1), nationality="ML",
                protection_status=ProtectionStatus.REFUGIE,
            ))  # fmt: skip
    Person.objects.bulk_create(persons)
    contracts = SubleaseContract.objects.bulk_create(
        SubleaseContract(
            organisation=organisation, household=home, unit=unit, reference=f"BK-{n:04d}",
            start_date=start, initial_end_date=start + datetime.timedelta(days=365),
            rent=Decimal(rng.choice([380, 400, 420, 450])), charges=Decimal("50.00"),
            expected_housing_benefit=Decimal(rng.choice([200, 250, 280])),
        )
        for n, (home, unit) in enumerate(zip(homes, units, strict=True))
    )  # fmt: skip
    entries, receipt = [], 0
    for contract in contracts:
        month = start
        for _ in range(3):
            entries.append(LedgerEntry(
                organisation=organisation, contract=contract, date=month, kind=LedgerKind.APPEL,
                debit=contract.rent + contract.charges, period=month, rent_part=contract.rent,
                charges_part=contract.charges,
            ))  # fmt: skip
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        residual = contract.rent + contract.charges - contract.expected_housing_benefit
        for day in (start + datetime.timedelta(days=5), start + datetime.timedelta(days=36)):
            receipt += 1
            entries.append(LedgerEntry(
                organisation=organisation, contract=contract, date=day,
                kind=LedgerKind.PAIEMENT, credit=residual, method=PaymentMethod.VIREMENT,
                number=f"B{day.year}-{receipt:05d}",
            ))  # fmt: skip
    LedgerEntry.objects.bulk_create(entries)
    return contracts


def _typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    return word[:position] + word[position + 1 :]


def statement_lines(account: BankAccount, statement: BankStatement,
                    contracts: list[SubleaseContract], lines: int, rng: random.Random,
                    today: datetime.date) -> list[BankLine]:  # fmt: skip
    names = {
        person.household_id: (person.first_name.upper(), person.last_name.upper())
        for person in Person.objects.filter(role=PersonRole.REFERENT)
    }
    made = []
    for n in range(lines):
        contract = rng.choice(contracts)
        first, last = names[contract.household_id]
        amount = Decimal(rng.choice([150, 200, 170, 220, 250])) + Decimal(rng.randrange(100)) / 100
        shape = rng.random()
        if shape < 0.35:
            label = f"VIR SEPA {last} {first} LOYER"
        elif shape < 0.55:
            label = f"VIR M {first} {last}"
        elif shape < 0.65:
            label = f"VIREMENT DE {_typo(last, rng) if len(last) > 4 else last} {first}"
        elif shape < 0.70:
            label = f"VIR LOYER {contract.reference} {last}"
        elif shape < 0.75:
            label = f"VIR FSL 71 AIDE LOYER {last} {first}"
        elif shape < 0.85:
            label = f"VIR {rng.choice(STRANGERS)}"
        elif shape < 0.90:
            label = "VIR SEPA LOYER"
            amount = contract.rent + contract.charges - contract.expected_housing_benefit
        else:
            label, amount = "PRLV FRAIS TENUE DE COMPTE", -Decimal("12.50")
        booked = today - datetime.timedelta(days=rng.randrange(28))
        made.append(BankLine(
            organisation=account.organisation, account=account, statement=statement,
            booked_on=booked, amount=amount, label=label,
            fingerprint=hashlib.sha256(f"{n}{booked}{amount}{label}".encode()).hexdigest()[:64],
        ))  # fmt: skip
    created: list[BankLine] = BankLine.objects.bulk_create(made)
    return created


def measure_matching(lines: int = 2000, households: int = 300, seed: int = 1,
                     today: datetime.date | None = None) -> MatchingTiming:  # fmt: skip
    """Time ``match_lines`` on a generated statement, in a transaction rolled back."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    timing = MatchingTiming(lines=lines, households=households)
    try:
        with transaction.atomic():
            suffix = get_random_string(8).lower()
            organisation = Organisation.objects.create(
                name=f"Banc bancaire {suffix}", slug=f"banque-{suffix}", departement="71"
            )
            with organisation_transaction(organisation):
                contracts = build_households(organisation, households, rng, today)
                account = BankAccount.objects.create(
                    organisation=organisation, label="Compte courant",
                    iban="FR7630006000011234567890189",
                )  # fmt: skip
                statement = BankStatement.objects.create(
                    organisation=organisation, account=account, file_name="banc.xml",
                    format="camt053", status="termine", progress=100,
                )  # fmt: skip
                made = statement_lines(account, statement, contracts, lines, rng, today)
                with CaptureQueriesContext(connection) as captured:
                    started = time.monotonic()
                    counts = match_lines(made, by=None)
                    timing.seconds = time.monotonic() - started
                timing.queries = len(captured.captured_queries)
                timing.counts = {
                    "rapprochées": counts.matched,
                    "proposées": counts.proposed,
                    "en attente": counts.suspense,
                }
            raise _Rollback
    except _Rollback:
        pass
    return timing


def as_json(timing: MatchingTiming) -> dict[str, Any]:
    """What ``make bench`` keeps (``out["bank_matching"]``)."""
    return {
        "lines": timing.lines,
        "households": timing.households,
        "seconds": timing.seconds,
        "queries": timing.queries,
        "counts": timing.counts,
    }


def markdown(result: dict[str, Any]) -> list[str]:
    """The section of docs/benchmarks.md (``benchmarks.results.markdown`` appends it)."""
    counts = ", ".join(f"{count} {label}" for label, count in result["counts"].items())
    ok = "✅" if result["seconds"] <= SECONDS else "❌"
    return [
        "",
        "## Rapprochement bancaire",
        "",
        f"Un relevé de {result['lines']} lignes rapproché des ménages de "
        f"{result['households']} contrats en cours (noms approchants, références, montants ; "
        f"les lignes sûres écrites au compte) : {result['seconds']:.1f} s, "
        f"{result['queries']} requêtes ({counts}) ; cible : {SECONDS:.0f} s {ok}.",
    ]
