"""A realistic report in the JSON form of shared/docs/annual-report.md (seed 001's shape: an
IML for refugees, 1 Nov – 31 Oct), every key filled, totals consistent with each other.

``example_figures()`` returns a fresh deep copy: tests may change it freely.
"""

from __future__ import annotations

import copy


def _typology(**cells: tuple[int, int, int]) -> dict:
    codes = [
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
    ]
    result = {}
    for code in codes:
        households, children, reinforced = cells.get(code, (0, 0, 0))
        result[code] = {"households": households, "children": children, "reinforced": reinforced}
    return result


def _protection(**counts: int) -> dict:
    codes = [
        "refugie",
        "protection_subsidiaire",
        "apatride",
        "regularise",
        "demandeur_asile",
        "francais",
        "autre",
        "inconnu",
    ]
    return {code: counts.get(code, 0) for code in codes}


def _prior(**counts: int) -> dict:
    codes = [
        "asile",
        "hebergement_generaliste",
        "logement_adapte",
        "logement_autonome",
        "tiers",
        "rue",
        "autre",
        "inconnu",
    ]
    return {code: counts.get(code, 0) for code in codes}


def _ages(a: int, b: int, c: int, d: int, e: int) -> dict:
    return {"0-17": a, "18-24": b, "25-39": c, "40-59": d, "60+": e}


EXAMPLE_FIGURES = {
    "period": {"start": "2023-11-01", "end": "2024-10-31"},
    "dispositif": "IML-R",
    "households": {
        "present_at_start": 11,
        "entered": 9,
        "exited": 3,
        "present_at_end": 17,
        "accompanied": 20,
    },
    "persons": {
        "present_at_start": 36,
        "entered": 29,
        "exited": 14,
        "present_at_end": 51,
        "accompanied": 65,
    },
    "present_at_end": {
        "households": 17,
        "persons": 51,
        "adults": 24,
        "children": 27,
        "children_of_age": 3,
        "reinforced": 4,
        "typology": _typology(
            femme_seule=(1, 0, 0),
            homme_seul=(7, 0, 1),
            femme_avec_enfants=(2, 8, 1),
            couple_avec_enfants=(7, 19, 2),
        ),
        "protection_status": _protection(
            refugie=37, protection_subsidiaire=6, apatride=1, regularise=5, inconnu=2
        ),
        "age_brackets": _ages(24, 6, 12, 8, 1),
        "resources": {
            "rsa": 5,
            "prestations_familiales+rsa": 4,
            "prime_activite+salaire": 3,
            "prestations_familiales+prime_activite+rsa": 2,
            "aah+aeeh+prestations_familiales+rsa": 1,
            "salaire": 1,
            "inconnu": 1,
        },
        "prior_situation": _prior(
            asile=12, hebergement_generaliste=2, logement_adapte=1, tiers=1, rue=1
        ),
        "stay_length": {"lt6": 1, "m6_12": 8, "gt12": 8, "average_months": 14.2},
    },
    "entries": {
        "households": 9,
        "persons": 25,
        "adults": 13,
        "children": 12,
        "children_of_age": 2,
        "reinforced": 2,
        "typology": _typology(
            femme_seule=(1, 0, 0),
            homme_seul=(3, 0, 0),
            femme_avec_enfants=(1, 3, 1),
            couple_avec_enfants=(4, 9, 1),
        ),
        "protection_status": _protection(refugie=20, protection_subsidiaire=3, regularise=2),
        "age_brackets": _ages(10, 4, 7, 4, 0),
        "resources": {
            "rsa": 3,
            "prestations_familiales+prime_activite+rsa": 2,
            "formation+rsa": 1,
            "salaire": 2,
            "aah+aeeh+prestations_familiales+rsa": 1,
            "inconnu": 0,
        },
        "prior_situation": _prior(asile=7, hebergement_generaliste=1, logement_adapte=1),
        "orienting_structures": {
            "CADA Le Pont Chalon-sur-Saône": 4,
            "HUDA Le Pont Le Creusot": 3,
            "HUDA ADOMA Chalon-sur-Saône": 1,
            "inconnu": 1,
        },
    },
    "exits": {
        "households": 3,
        "persons": 14,
        "adults": 5,
        "children": 9,
        "children_of_age": 3,
        "reinforced": 1,
        "typology": _typology(femme_seule=(1, 0, 0), couple_avec_enfants=(2, 9, 1)),
        "protection_status": _protection(refugie=10, protection_subsidiaire=4),
        "age_brackets": _ages(6, 3, 1, 4, 0),
        "resources": {"prestations_familiales+salaire": 2, "rsa": 1, "inconnu": 0},
        "prior_situation": _prior(asile=3),
        "stay_length": {"lt6": 0, "m6_12": 0, "m13_18": 1, "gt18": 2, "average_months": 23.0},
        "destinations": {
            "logement_social": {"households": 2, "bail_glissant": 2, "reinforced": 1},
            "logement_prive": {"households": 1, "bail_glissant": 0, "reinforced": 0},
            **{
                code: {"households": 0, "bail_glissant": 0, "reinforced": 0}
                for code in [
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
                ]
            },
        },
        "destination_categories": {
            "perenne": 3,
            "transitoire": 0,
            "sans_solution": 0,
            "autre": 0,
            "inconnu": 0,
        },
        "exit_support": {"agir": 2, "asll": 1, "avdl": 0, "iml": 1, "autre": 0},
        "sinistralite": {"aucun": 1, "impaye": 1, "degradation": 0, "multiple": 1},
    },
    "orientations": {
        "received": 16,
        "admitted": 9,
        "withdrawn": {
            "situation_changee": 2,
            "reorientation": 2,
            "refus_menage": 0,
            "refus_operateur": 1,
            "sans_nouvelles": 0,
            "autre": 0,
            "inconnu": 0,
        },
        "pending_at_end": 3,
    },
    "housing": {
        "units_at_end": 17,
        "places_at_end": 58,
        "units_by_typology_at_end": {"t1": 1, "t2": 3, "t3": 5, "t4": 4, "t5": 2, "t6": 2},
        "rooms_at_end": 6,
        "captured": 3,
        "returned": 3,
        "returned_by_reason": {
            "glissement_bail": 2,
            "reprise_proprietaire": 0,
            "fin_convention": 0,
            "insecurite": 1,
            "autre": 0,
            "inconnu": 0,
        },
        "vacant_units_at_end": 1,
        "occupied_units_at_end": 16,
        "occupancy_rate": 91.4,
        "by_parc_at_end": {"prive": 5, "public": 12},
        "by_sector_at_end": {"Grand Amiénois": 16, "Picardie Maritime": 1, "inconnu": 0},
    },
    "nationalities": {
        "AF": 30,
        "SD": 10,
        "ER": 8,
        "SY": 6,
        "UA": 4,
        "YE": 3,
        "BD": 2,
        "inconnu": 2,
    },
    "sex": {"f": 28, "m": 36, "x": 1},
    "support": {
        "contracts_signed": 9,
        "amendments_signed": 14,
        "interactions_by_type": {
            "visite_domicile": 48,
            "rdv_bureau": 120,
            "telephone": 85,
            "visite_conjointe": 12,
            "accompagnement_exterieur": 9,
            "atelier_collectif": 6,
            "rdv_non_honore": 11,
        },
        "interactions_by_domain": {
            "administratif": 140,
            "budget": 70,
            "logement": 65,
            "sante": 30,
            "emploi": 45,
            "langue": 25,
            "titre_sejour": 38,
            "famille": 22,
            "social": 15,
            "mobilite": 8,
        },
        "households_with_interaction": 19,
        "workshop_participants": 14,
        "employment": {
            "sans_emploi": 6,
            "cours_francais": 5,
            "siae": 4,
            "emploi": 6,
            "formation": 3,
            "independant": 1,
            "etudes": 1,
            "retraite": 1,
            "inactif": 1,
            "inconnu": 1,
        },
    },
    "rent": {
        "called": "61234.56",
        "paid_by_household": "18450.20",
        "paid_by_caf": "35210.00",
        "paid_by_aids": "1234.56",
        "collection_rate": 89.6,
        "households_up_to_date_at_end": 14,
        "households_in_debt_at_end": 3,
        "debt_at_end": "2345.67",
        "repayment_plans_opened": 2,
    },
    "funding": {"average_units": 16.4, "ceiling_per_unit": "5000.00", "theoretical": "80000.00"},
    "quality": {"gaps": 7, "checks": {"households_balance": True, "persons_balance": True}},
}


def example_figures() -> dict:
    return copy.deepcopy(EXAMPLE_FIGURES)


def patch_compute(monkeypatch, *, previous_households: int | None = None) -> list[tuple]:
    """Make ``reporting.services.compute_report`` return the example figures for the period
    asked (``previous_households``: the households present at end of any period but the
    first one asked, to tell N from N-1). Returns the list of calls."""
    from reporting import services

    calls: list[tuple] = []

    def fake(dispositif, start, end) -> dict:
        figures = example_figures()
        figures["period"] = {"start": start.isoformat(), "end": end.isoformat()}
        figures["dispositif"] = dispositif.code
        if calls and previous_households is not None:
            figures["present_at_end"]["households"] = previous_households
        calls.append((dispositif.pk, start, end))
        return figures

    monkeypatch.setattr(services, "compute_report", fake)
    return calls
