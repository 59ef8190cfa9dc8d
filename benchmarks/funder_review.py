"""The funder's side at national scale: the regional review and the key figures of the
national level, built from thousands of submitted reports.

``dispositifs`` dispositifs spread over every département (Auvergne-Rhône-Alpes gets the
99 of seed 003), three years of submitted reports each (``bulk_create``: figures of the JSON
form's shape, with varied counts); then the timed calls: the regional review of
Auvergne-Rhône-Alpes (page and JSON), a DDETS's and the national level's key figures
(``funders.tables.territory_columns``, what their home page shows). Rolled back at the end.

Run by ``make bench`` (step ``financeurs``), and by ``tests/funders/test_bench.py``.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.crypto import get_random_string

from funders import review
from funders.models import Submission
from funders.tables import territory_columns
from iml import territories
from iml.models import Institution, InstitutionKind, Organisation, User

SECONDS = 2.0  # each timed call, at national scale
YEARS = 3
CATEGORIES = ("perenne", "transitoire", "sans_solution", "autre", "inconnu")
MODES = ("sous_location", "bail_glissant", "mandat_gestion")


@dataclass
class ReviewTiming:
    dispositifs: int
    submissions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(value <= SECONDS for value in self.seconds.values())


class _Rollback(Exception):
    pass


def _figures(rng: random.Random, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    present, entered, exited = rng.randint(3, 60), rng.randint(0, 30), rng.randint(0, 25)
    split = [rng.randint(0, exited) for _ in CATEGORIES]
    units = rng.randint(3, 40)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "households": {"present_at_start": present, "entered": entered, "exited": exited,
                       "present_at_end": present, "accompanied": present + entered},
        "housing": {"units_at_end": units, "vacant_units_at_end": rng.randint(0, 3)},
        "orientations": {"withdrawn": {"refus_menage": rng.randint(0, 4), "inconnu": 0}},
        "exits": {
            "stay_length": {"gt18": rng.randint(0, 5)},
            "destinations": {"logement_social": {"households": exited, "bail_glissant":
                                                 rng.randint(0, 2), "reinforced": 0}},
            "destination_categories": dict(zip(CATEGORIES, split, strict=True)),
            "sinistralite": {"aucun": rng.randint(0, exited)},
        },
        "funding": {"average_units": float(units), "ceiling_per_unit": "5000.00",
                    "theoretical": f"{units * 5000}.00"},
    }  # fmt: skip


def _block(rng: random.Random) -> dict[str, Any]:
    available = rng.randint(1000, 20000)
    return {
        "version": 1,
        "units_at_end_by_management": {mode: rng.randint(0, 15) for mode in MODES},
        "captured_by_management": {mode: rng.randint(0, 4) for mode in MODES},
        "entries_oriented_by_siao": rng.randint(0, 20),
        "present_past_18_months": rng.randint(0, 6),
        "exit_stay_days": rng.randint(0, 20000),
        "stock": {"unit_days": available // 3, "available_place_days": available,
                  "occupied_place_days": rng.randint(0, available)},
    }  # fmt: skip


def _spread(dispositifs: int) -> list[str]:
    """The département of each dispositif: 99 in Auvergne-Rhône-Alpes, the rest evenly."""
    aura = list(territories.departements_of("84"))
    others = [code for code in territories.DEPARTEMENTS if code not in aura]
    first = [aura[n % len(aura)] for n in range(min(99, dispositifs))]
    rest = [others[n % len(others)] for n in range(dispositifs - len(first))]
    return first + rest


def measure_review(dispositifs: int = 1200, seed: int = 1, year: int = 2025) -> ReviewTiming:
    rng = random.Random(seed)
    timing = ReviewTiming(dispositifs=dispositifs)
    try:
        with transaction.atomic():
            suffix = get_random_string(6).lower()
            user = User.objects.create(email=f"banc-{suffix}@financeurs.example")
            ddets_by_code = {
                code: Institution.objects.create(
                    kind=InstitutionKind.DDETS, slug=f"banc-{suffix}-{code.lower()}",
                    name=f"Banc {suffix} DDETS {code}", departements=[code],
                    region=territories.region_of(code),
                )
                for code in territories.DEPARTEMENTS
            }  # fmt: skip
            national = Institution.objects.create(
                kind=InstitutionKind.NATIONAL, slug=f"banc-{suffix}-dihal", name=f"Banc {suffix}"
            )
            places = _spread(dispositifs)
            organisations = Organisation.objects.bulk_create(
                Organisation(name=f"Banc {suffix} {n}", slug=f"banc-{suffix}-{n}",
                             departement=code)
                for n, code in enumerate(places)
            )  # fmt: skip
            rows = []
            for organisation, code in zip(organisations, places, strict=True):
                for back in range(YEARS):
                    start = datetime.date(year - back, 1, 1)
                    end = datetime.date(year - back, 12, 31)
                    rows.append(Submission(
                        institution=ddets_by_code[code], organisation=organisation,
                        organisation_slug=organisation.slug,
                        organisation_name=organisation.name,
                        dispositif_public_id=organisation.public_id, dispositif_code="IML",
                        dispositif_name="IML", category="classique", zone="detendue",
                        places=rng.randint(6, 120), departement=code,
                        region=territories.region_of(code), start=start, end=end,
                        year=end.year, number=1, source_version=_uuid(rng),
                        status="recu" if back else "transmis",
                        figures=_figures(rng, start, end), funder_figures=_block(rng),
                        pdf=b"%PDF", xlsx=b"PK", submitted_by=user, submitted_by_name="Banc",
                    ))  # fmt: skip
            timing.submissions = len(Submission.objects.bulk_create(rows, batch_size=500))
            timing.seconds["revue régionale (84)"] = _timed(
                lambda: review.as_json(review.regional_review("84", year))
            )
            timing.seconds["export XLSX de la revue"] = _timed(
                lambda: review.as_xlsx(review.regional_review("84", year))
            )
            timing.seconds["chiffres clés d’une DDETS (69)"] = _timed(
                lambda: territory_columns(ddets_by_code["69"], year)
            )
            timing.seconds["chiffres clés nationaux"] = _timed(
                lambda: territory_columns(national, year)
            )
            raise _Rollback
    except _Rollback:
        pass
    return timing


def _uuid(rng: random.Random) -> Any:
    import uuid

    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _timed(call: Any) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def as_json(timing: ReviewTiming) -> dict[str, Any]:
    """What ``make bench`` keeps (``out["funder_review"]``)."""
    return {
        "dispositifs": timing.dispositifs,
        "submissions": timing.submissions,
        "seconds": timing.seconds,
    }


def markdown(result: dict[str, Any]) -> list[str]:
    """The section of docs/benchmarks.md (``benchmarks.results.markdown`` appends it)."""
    lines = [
        "",
        "## Côté financeurs",
        "",
        f"{result['dispositifs']} dispositifs répartis sur les 101 départements (99 en "
        f"Auvergne-Rhône-Alpes), {result['submissions']} rapports transmis sur trois ans ; "
        f"cible : {SECONDS:.0f} s par calcul.",
        "",
        "| calcul | secondes | |",
        "|---|---|---|",
    ]
    for label, seconds in result["seconds"].items():
        lines.append(f"| {label} | {seconds:.2f} | {'✅' if seconds <= SECONDS else '❌'} |")
    return lines


__all__ = ["SECONDS", "measure_review"]
