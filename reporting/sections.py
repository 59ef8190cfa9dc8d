"""The sections of the annual report (the spec's "Sections of the document"), built from
the figures as ``reporting.document`` structures: each figure's label, table and section are
written here once (``reporting.figure_labels`` names a figure from them)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from iml import codes
from iml.formats import euros
from reporting.document import (
    GROUP_TITLES,
    HOUSEHOLD_TYPOLOGY,
    SINISTRALITE,
    STAY_EXITS,
    STAY_PRESENT,
    UNKNOWN,
    Cell,
    Row,
    Section,
    Table,
    _bar,
    _choices,
    _decimal,
    _dig,
    _facts,
    _label,
    age_label,
    breakdown,
    count_of,
    country_label,
    fr_date,
    fr_decimal,
    fr_int,
    nested_breakdown,
    period_label,
    resource_label,
)
from reporting.quality import consistency_checks
from reporting.rehousing_section import rehousing_section

# --- Sections -------------------------------------------------------------------------------


def _identity(figures: dict, narrative: dict, context: dict) -> Section:
    period = figures.get("period", {})
    start, end = period.get("start"), period.get("end")
    category = " — ".join(part for part in (context.get("category"), context.get("zone")) if part)
    identity = Table(
        key="identity",
        title="Identité du dispositif",
        columns=["Valeur"],
        compare=False,
        rows=[
            Row("organisation", "Opérateur", [Cell(context.get("organisation") or "—", "text")]),
            Row(
                "dispositif",
                "Dispositif",
                [
                    Cell(
                        f"{context['dispositif']} ({figures.get('dispositif', '')})"
                        if context.get("dispositif")
                        else figures.get("dispositif", "—"),
                        "text",
                    )
                ],
            ),
            Row("category", "Catégorie et zone", [Cell(category or "—", "text")]),
            Row("funder", "Financeur", [Cell(context.get("funder") or "—", "text")]),
            Row("places", "Capacité (places)", [Cell(context.get("places"), "count")]),
            Row(
                "units",
                "Logements en fin de période",
                [Cell(_dig(figures, "housing.units_at_end"), "count", "housing.units_at_end")],
            ),
            Row("staff_etp", "Effectif (ETP)", [Cell(narrative.get("staff_etp"), "etp")]),
            Row(
                "period",
                "Période",
                [Cell(period_label(start, end) if start and end else "—", "text")],
            ),
        ],
    )
    flows = Table(
        key="flows",
        title="Activité de la période",
        columns=["Ménages", "Personnes"],
        rows=[
            Row(
                key,
                label,
                [
                    Cell(_dig(figures, f"households.{key}"), "count", f"households.{key}"),
                    Cell(_dig(figures, f"persons.{key}"), "count", f"persons.{key}"),
                ],
            )
            for key, label in (
                ("present_at_start", "Présents au début de la période"),
                ("entered", "Entrés"),
                ("exited", "Sortis"),
                ("present_at_end", "Présents en fin de période"),
                ("accompanied", "Accompagnés sur la période"),
            )
        ],
    )
    households = figures.get("households", {})
    persons = figures.get("persons", {})
    paragraphs = []
    if start and end:
        paragraphs.append(
            f"Sur la période {period_label(start, end)}, le dispositif a accompagné "
            f"{count_of(households.get('accompanied', 0), 'ménage', 'ménages')} "
            f"({count_of(persons.get('accompanied', 0), 'personne', 'personnes')})."
        )
    return Section(
        key="identite",
        number=1,
        title="Identité et activité",
        sheet="1. Identité",
        paragraphs=paragraphs,
        tables=[identity, flows],
    )


NARRATIVE_PARTS = (
    ("mission", "Mission"),
    ("highlights", "Faits marquants"),
    ("difficulties", "Difficultés rencontrées"),
    ("perspectives", "Perspectives"),
)


def _narrative(narrative: dict) -> Section:
    return Section(
        key="recit",
        number=2,
        title="Présentation par le service",
        sheet="2. Récit",
        texts=[(heading, (narrative.get(key) or "").strip()) for key, heading in NARRATIVE_PARTS],
    )


def _orientations(figures: dict) -> Section:
    withdrawn = _dig(figures, "orientations.withdrawn", {}) or {}
    summary = _facts(
        "orientations",
        "Orientations du SIAO",
        figures,
        [
            ("received", "Orientations reçues", "orientations.received", "count"),
            ("admitted", "dont entrées dans la période", "orientations.admitted", "count"),
            (
                "pending_at_end",
                "En attente en fin de période",
                "orientations.pending_at_end",
                "count",
            ),
        ],
    )
    summary.rows.insert(
        2,
        Row(
            "withdrawn",
            "Retirées de la liste d’attente",
            # Computed here: no figure of the JSON form to list.
            [Cell(sum(int(v or 0) for v in withdrawn.values()), "count")],
        ),
    )
    reasons = breakdown(
        "withdrawn",
        "Retraits de la liste d’attente, par motif",
        figures,
        "orientations.withdrawn",
        labels=_choices(codes.WithdrawalReason),
        label_header="Motif",
    )
    return Section(
        key="orientations",
        number=3,
        title="Orientations",
        sheet="3. Orientations",
        tables=[summary, reasons],
    )


def _housing(figures: dict) -> Section:
    stock = _facts(
        "stock",
        "Parc en fin de période",
        figures,
        [
            ("units_at_end", "Logements", "housing.units_at_end", "count"),
            ("places_at_end", "Places", "housing.places_at_end", "places"),
            ("rooms_at_end", "Chambres (logements partagés)", "housing.rooms_at_end", "count"),
            (
                "occupied_units_at_end",
                "Logements occupés",
                "housing.occupied_units_at_end",
                "count",
            ),
            ("vacant_units_at_end", "Logements vacants", "housing.vacant_units_at_end", "count"),
            (
                "occupancy_rate",
                "Taux d’occupation sur la période",
                "housing.occupancy_rate",
                "rate",
            ),
        ],
    )
    moves = _facts(
        "moves",
        "Mouvements de la période",
        figures,
        [
            ("captured", "Logements captés", "housing.captured", "count"),
            ("returned", "Logements rendus", "housing.returned", "count"),
            (
                "glissement_bail",
                "dont glissement de bail",
                "housing.returned_by_reason.glissement_bail",
                "count",
            ),
        ],
    )
    return Section(
        key="parc",
        number=4,
        title="Parc de logements",
        sheet="4. Parc de logements",
        tables=[
            stock,
            moves,
            breakdown(
                "typology",
                "Logements par typologie en fin de période",
                figures,
                "housing.units_by_typology_at_end",
                labels=_choices(codes.Typology),
                label_header="Typologie",
                total_path="housing.units_at_end",
            ),
            breakdown(
                "returned_by_reason",
                "Logements rendus, par motif",
                figures,
                "housing.returned_by_reason",
                labels=_choices(codes.UnitReturnReason),
                label_header="Motif",
                total_path="housing.returned",
            ),
            breakdown(
                "parc",
                "Parc privé ou public en fin de période",
                figures,
                "housing.by_parc_at_end",
                labels=_choices(codes.Parc),
                label_header="Parc",
                total_path="housing.units_at_end",
            ),
            breakdown(
                "sector",
                "Logements par secteur en fin de période",
                figures,
                "housing.by_sector_at_end",
                order="count",
                label_header="Secteur",
                total_path="housing.units_at_end",
            ),
        ],
    )


def _group(figures: dict, group: str, number: int, sheet: str, *, with_charts: bool) -> Section:
    g = figures.get(group, {}) or {}
    period = figures.get("period", {})
    summary = _facts(
        f"{group}-summary",
        "Ménages et personnes",
        figures,
        [
            ("households", "Ménages", f"{group}.households", "count"),
            ("persons", "Personnes", f"{group}.persons", "count"),
            ("adults", "Adultes", f"{group}.adults", "count"),
            ("children", "Enfants", f"{group}.children", "count"),
            ("children_of_age", "dont enfants majeurs", f"{group}.children_of_age", "count"),
            ("reinforced", "Ménages en accompagnement renforcé", f"{group}.reinforced", "count"),
        ],
    )
    typology = nested_breakdown(
        f"{group}-typology",
        "Composition des ménages",
        figures,
        f"{group}.typology",
        labels=HOUSEHOLD_TYPOLOGY,
        columns=[
            ("households", "Ménages"),
            ("children", "Enfants"),
            ("reinforced", "Accompagnement renforcé"),
        ],
        total_paths={
            "households": f"{group}.households",
            "children": f"{group}.children",
            "reinforced": f"{group}.reinforced",
        },
        label_header="Typologie",
    )
    tables = [
        summary,
        typology,
        breakdown(
            f"{group}-protection",
            "Statut des personnes",
            figures,
            f"{group}.protection_status",
            labels=_choices(codes.ProtectionStatus),
            column="Personnes",
            label_header="Statut",
            total_path=f"{group}.persons",
        ),
        breakdown(
            f"{group}-ages",
            "Âge des personnes",
            figures,
            f"{group}.age_brackets",
            label=age_label,
            order="age",
            column="Personnes",
            label_header="Tranche d’âge",
            total_path=f"{group}.persons",
        ),
        breakdown(
            f"{group}-resources",
            "Ressources des ménages",
            figures,
            f"{group}.resources",
            label=resource_label,
            order="count",
            column="Ménages",
            label_header="Nature des ressources",
            total_path=f"{group}.households",
        ),
        breakdown(
            f"{group}-prior",
            "Situation avant l’entrée",
            figures,
            f"{group}.prior_situation",
            labels=_choices(codes.PriorSituation),
            column="Ménages",
            label_header="Situation",
            total_path=f"{group}.households",
        ),
    ]
    paragraphs = []
    households, persons = g.get("households", 0), g.get("persons", 0)
    composition = (
        f"{count_of(persons, 'personne', 'personnes')} "
        f"({count_of(g.get('adults', 0), 'adulte', 'adultes')} et "
        f"{count_of(g.get('children', 0), 'enfant', 'enfants')}, dont "
        f"{count_of(g.get('children_of_age', 0), 'majeur', 'majeurs')})"
    )
    if group == "present_at_end":
        end = period.get("end")
        paragraphs.append(
            f"Ménages présents au {fr_date(end) if end else 'terme de la période'} : "
            f"{fr_int(households)}, soit {composition}. Ménages en accompagnement renforcé : "
            f"{fr_int(g.get('reinforced', 0))}."
        )
    elif group == "entries":
        paragraphs.append(
            f"Ménages entrés dans la période : {fr_int(households)}, soit {composition}. "
            "Avec les naissances et les personnes arrivées dans un ménage déjà présent, "
            f"{count_of(_dig(figures, 'persons.entered'), 'personne est entrée', 'personnes sont entrées')} "  # noqa: E501
            "au cours de la période."
        )
    else:
        paragraphs.append(
            f"Ménages sortis dans la période : {fr_int(households)}, soit {composition}."
        )
    if group == "entries":
        tables.append(
            breakdown(
                "entries-structures",
                "Structures d’orientation",
                figures,
                "entries.orienting_structures",
                label=lambda k: _label({}, k),
                order="count",
                column="Ménages",
                label_header="Structure",
                total_path="entries.households",
            )
        )
    if group in ("present_at_end", "exits"):
        buckets = STAY_PRESENT if group == "present_at_end" else STAY_EXITS
        stay = breakdown(
            f"{group}-stay",
            "Durée de séjour",
            figures,
            f"{group}.stay_length",
            codes=tuple(buckets),
            labels=buckets,
            column="Ménages",
            label_header="Durée",
            total_path=f"{group}.households",
        )
        stay.rows.append(
            Row(
                "average_months",
                "Durée moyenne de séjour",
                [Cell((g.get("stay_length") or {}).get("average_months"), "months")],
            )
        )
        tables.append(stay)
    section = Section(
        key=group.replace("_", "-"),
        number=number,
        title=GROUP_TITLES[group],
        sheet=sheet,
        paragraphs=paragraphs,
        tables=tables,
    )
    if group == "exits":
        destinations = nested_breakdown(
            "exits-destinations",
            "Destination des ménages sortis",
            figures,
            "exits.destinations",
            labels=_choices(codes.ExitDestination),
            columns=[
                ("households", "Ménages"),
                ("bail_glissant", "dont bail glissant"),
                ("reinforced", "dont accompagnement renforcé"),
            ],
            total_paths={
                "households": "exits.households",
                "bail_glissant": None,
                "reinforced": "exits.reinforced",
            },
            label_header="Destination",
        )
        categories = breakdown(
            "exits-categories",
            "Catégories de destination",
            figures,
            "exits.destination_categories",
            labels=_choices(codes.DestinationCategory),
            column="Ménages",
            label_header="Catégorie",
            total_path="exits.households",
        )
        support = breakdown(
            "exits-support",
            "Accompagnement après la sortie",
            figures,
            "exits.exit_support",
            labels=_choices(codes.ExitSupport),
            column="Ménages",
            label_header="Mesure",
            total=False,
            note="Un ménage qui bénéficie de deux mesures compte dans chacune.",
        )
        sinistralite = breakdown(
            "exits-sinistralite",
            "Sinistralité à la sortie",
            figures,
            "exits.sinistralite",
            labels=SINISTRALITE,
            column="Ménages",
            label_header="Situation",
            total_path="exits.households",
        )
        section.tables += [destinations, categories, support, sinistralite]
        if with_charts:
            section.charts += [
                _bar(destinations, "Destination des ménages sortis"),
                _bar(categories, "Catégories de destination"),
            ]
    if with_charts and group == "present_at_end":
        section.charts += [
            _bar(typology, "Composition des ménages présents"),
            _bar(tables[3], "Âge des personnes présentes"),
        ]
    return section


def _nationalities(figures: dict, *, with_charts: bool) -> Section:
    nationalities = breakdown(
        "nationalities",
        "Nationalités des personnes accompagnées",
        figures,
        "nationalities",
        label=country_label,
        order="count",
        column="Personnes",
        label_header="Pays",
        total_path="persons.accompanied",
    )
    sex = breakdown(
        "sex",
        "Sexe des personnes accompagnées",
        figures,
        "sex",
        labels=_choices(codes.Sex),
        column="Personnes",
        label_header="Sexe",
        total_path="persons.accompanied",
    )
    countries_count = len(
        [k for k, v in (figures.get("nationalities") or {}).items() if k != UNKNOWN and v]
    )
    section = Section(
        key="nationalites",
        number=8,
        title="Nationalités et sexe",
        sheet="8. Nationalités et sexe",
        paragraphs=[
            f"Les {count_of(_dig(figures, 'persons.accompanied'), 'personne', 'personnes')} "
            f"accompagnées sur la période sont originaires de "
            f"{count_of(countries_count, 'pays', 'pays différents')}."
        ],
        tables=[nationalities, sex],
    )
    if with_charts:
        section.charts.append(
            _bar(
                nationalities,
                "Pays d’origine des personnes accompagnées",
                keep=10,
                others="Autres pays",
            )
        )
    return section


def _support(figures: dict, *, with_charts: bool) -> Section:
    activity = _facts(
        "support",
        "Accompagnement social",
        figures,
        [
            (
                "contracts_signed",
                "Contrats d’accompagnement signés",
                "support.contracts_signed",
                "count",
            ),
            (
                "amendments_signed",
                "Avenants de renouvellement signés",
                "support.amendments_signed",
                "count",
            ),
            (
                "households_with_interaction",
                "Ménages rencontrés au moins une fois",
                "support.households_with_interaction",
                "count",
            ),
            (
                "rdv_non_honore",
                "Rendez-vous non honorés",
                "support.interactions_by_type.rdv_non_honore",
                "count",
            ),
            (
                "atelier_collectif",
                "Ateliers collectifs",
                "support.interactions_by_type.atelier_collectif",
                "count",
            ),
            (
                "workshop_participants",
                "Participants aux ateliers collectifs",
                "support.workshop_participants",
                "count",
            ),
        ],
    )
    by_type = breakdown(
        "interactions-type",
        "Interactions par type",
        figures,
        "support.interactions_by_type",
        labels=_choices(codes.InteractionType),
        column="Interactions",
        label_header="Type",
    )
    by_domain = breakdown(
        "interactions-domain",
        "Interactions par domaine d’accompagnement",
        figures,
        "support.interactions_by_domain",
        labels=_choices(codes.SupportDomain),
        column="Interactions",
        label_header="Domaine",
        total=False,
        note="Une interaction qui couvre plusieurs domaines compte dans chacun.",
    )
    employment = breakdown(
        "employment",
        "Situation professionnelle des adultes accompagnés",
        figures,
        "support.employment",
        labels=_choices(codes.Employment),
        column="Adultes",
        label_header="Situation",
    )
    section = Section(
        key="accompagnement",
        number=9,
        title="Accompagnement",
        sheet="9. Accompagnement",
        tables=[activity, by_type, by_domain, employment],
    )
    if with_charts:
        section.charts.append(_bar(employment, "Situation professionnelle des adultes"))
    return section


def _rent(figures: dict) -> Section:
    rent = figures.get("rent", {}) or {}
    collected = sum(
        (_decimal(rent.get(key)) or Decimal(0))
        for key in ("paid_by_household", "paid_by_caf", "paid_by_aids")
    )
    table = _facts(
        "rent",
        "Loyers et impayés",
        figures,
        [
            ("called", "Loyers et charges appelés", "rent.called", "money"),
            ("paid_by_household", "Encaissé auprès des ménages", "rent.paid_by_household", "money"),
            ("paid_by_caf", "Aides au logement (CAF)", "rent.paid_by_caf", "money"),
            ("paid_by_aids", "Autres aides (FSL…)", "rent.paid_by_aids", "money"),
            ("collection_rate", "Taux de recouvrement", "rent.collection_rate", "rate"),
            (
                "households_up_to_date_at_end",
                "Ménages à jour en fin de période",
                "rent.households_up_to_date_at_end",
                "count",
            ),
            (
                "households_in_debt_at_end",
                "Ménages en dette en fin de période",
                "rent.households_in_debt_at_end",
                "count",
            ),
            ("debt_at_end", "Dette locative totale en fin de période", "rent.debt_at_end", "money"),
            (
                "repayment_plans_opened",
                "Plans d’apurement ouverts",
                "rent.repayment_plans_opened",
                "count",
            ),
        ],
    )
    table.rows.insert(4, Row("collected", "Total encaissé", [Cell(collected, "money")]))
    return Section(key="loyers", number=10, title="Loyers", sheet="10. Loyers", tables=[table])


def _funding(figures: dict, context: dict) -> Section:
    funding = figures.get("funding", {}) or {}
    table = _facts(
        "funding",
        "Financement BOP 177",
        figures,
        [
            (
                "average_units",
                "Nombre moyen de logements sur la période",
                "funding.average_units",
                "decimal",
            ),
            (
                "ceiling_per_unit",
                "Plafond annuel par logement",
                "funding.ceiling_per_unit",
                "money",
            ),
            ("theoretical", "Financement théorique", "funding.theoretical", "money"),
        ],
    )
    category = ", ".join(part for part in (context.get("category"), context.get("zone")) if part)
    paragraph = (
        f"{fr_decimal(funding.get('average_units', 0), 1)} logements en moyenne (arrondi : "
        f"{fr_int(_round_half_up(funding.get('average_units', 0)))}) \u00d7 "
        f"{euros(funding.get('ceiling_per_unit', 0))} par logement"
        f"{f' ({category})' if category else ''} = {euros(funding.get('theoretical', 0))}."
    )
    return Section(
        key="financement",
        number=11,
        title="Financement",
        sheet="11. Financement",
        paragraphs=[paragraph],
        tables=[table],
    )


def _round_half_up(value: Any) -> int:
    number = _decimal(value) or Decimal(0)
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gaps_sentence(gaps: int | None) -> str:
    if not gaps:
        return "Aucune lacune restante : chaque donnée utile aux tableaux est renseignée."
    return (
        f"{count_of(gaps, 'lacune restante', 'lacunes restantes')} : données manquantes "
        "comptées sous « non renseigné » dans les tableaux."
    )


def _quality(figures: dict, *, with_checks: bool = True) -> Section:
    gaps = _dig(figures, "quality.gaps", 0)
    checks = consistency_checks(figures) if with_checks else []
    failed = sum(not check.ok for check in checks)
    paragraphs = [
        gaps_sentence(gaps),
        "Tous les contrôles de cohérence sont respectés."
        if not failed
        else f"{count_of(failed, 'contrôle', 'contrôles')} de cohérence non "
        f"respecté{'s' if failed > 1 else ''} : voir le tableau ci-dessous.",
    ]
    checks_table = Table(
        key="checks",
        title="Contrôles de cohérence",
        columns=["Résultat", "Détail"],
        label_header="Contrôle",
        compare=False,
        rows=[
            Row(
                check.code,
                check.label,
                [
                    Cell("respecté" if check.ok else "NON RESPECTÉ", "text"),
                    Cell(check.detail, "text"),
                ],
            )
            for check in checks
        ],
    )
    return Section(
        key="qualite",
        number=12,
        title="Qualité des données",
        sheet="12. Qualité des données",
        paragraphs=paragraphs,
        tables=[checks_table],
    )


def document_sections(
    figures: dict,
    *,
    narrative: dict | None = None,
    context: dict | None = None,
    with_charts: bool = True,
    with_checks: bool = True,
    rehousing: dict | None = None,
) -> list[Section]:
    """Every section of the document, in the order of shared/docs/annual-report.md; then, given
    its figures (``rehousing_section.rehousing_figures``), « Parcours de relogement »."""
    narrative = narrative or {}
    context = context or {}
    sections = [
        _identity(figures, narrative, context),
        _narrative(narrative),
        _orientations(figures),
        _housing(figures),
        _group(
            figures, "present_at_end", 5, "5. Présents en fin de période", with_charts=with_charts
        ),
        _group(figures, "entries", 6, "6. Entrées", with_charts=with_charts),
        _group(figures, "exits", 7, "7. Sorties", with_charts=with_charts),
        _nationalities(figures, with_charts=with_charts),
        _support(figures, with_charts=with_charts),
        _rent(figures),
        _funding(figures, context),
        _quality(figures, with_checks=with_checks),
    ]
    if rehousing is not None:
        sections.append(rehousing_section(rehousing))
    return sections
