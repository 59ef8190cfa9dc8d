"""The annual report of the reference dataset (``tests.reporting.factories``), worked out by
hand: each figure's reasoning is in the comments."""

from __future__ import annotations

from decimal import Decimal

E = Decimal


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
