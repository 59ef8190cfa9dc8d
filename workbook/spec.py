"""The interchange workbook's sheets and columns (shared/docs/import-format.md), in the order
they are read, written and imported (a sheet only refers to sheets before it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from iml import codes
from iml.models import DispositifCategory, Zone

# Column kinds: how a cell is read (``workbook.values``) and written back.
TEXT = "text"
DATE = "date"
MONTH = "month"  # YYYY-MM
MONEY = "money"  # >= 0, two decimals
AMOUNT = "amount"  # signed, two decimals (ledger: the kind says which side)
INT = "int"
BOOL = "bool"
CODE = "code"
CODES = "codes"  # codes separated by ";"
LIST = "list"  # free values (refs, e-mails) separated by ";"
COUNTRY = "country"
POSTCODE = "postcode"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    choices: type[models.TextChoices] | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    help: str = ""
    label: str = ""  # French, shown beside the code (template comments, notice sheet)


@dataclass(frozen=True)
class Sheet:
    name: str
    label: str
    columns: tuple[Column, ...]
    key: str = "ref"  # the column that identifies a row (empty: matched otherwise)
    columns_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns_by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]


def _ref(max_length: int = 50, *, label: str) -> Column:
    return Column("ref", TEXT, required=True, max_length=max_length, label=label)


_HISTORY_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "dispositifs",
        "dispositifs",
        (
            Column(
                "code",
                required=True,
                max_length=30,
                help="Identifiant du dispositif.",
                label="Code du dispositif",
            ),
            Column("name", required=True, max_length=200, label="Nom du dispositif"),
            Column("category", CODE, required=True, choices=DispositifCategory, label="Catégorie"),
            Column("zone", CODE, required=True, choices=Zone, label="Zone"),
            Column("funder", max_length=200, label="Financeur"),
            Column("places", INT, min_value=0, max_value=100000, label="Nombre de places"),
            Column(
                "report_start_month",
                INT,
                min_value=1,
                max_value=12,
                help="1 à 12 ; 1 par défaut.",
                label="Premier mois de la période du rapport",
            ),
            Column(
                "age_brackets",
                max_length=200,
                help="Ex. 0-17;18-24;25-39;40-59;60+",
                label="Tranches d’âge du rapport",
            ),
        ),
        key="code",
    ),
    Sheet(
        "logements",
        "logements",
        (
            _ref(label="Référence du logement"),
            Column(
                "dispositif",
                required=True,
                max_length=30,
                help="Code du dispositif.",
                label="Dispositif (code)",
            ),
            Column("address", required=True, max_length=255, label="Adresse"),
            Column("postcode", POSTCODE, required=True, label="Code postal"),
            Column("city", required=True, max_length=100, label="Commune"),
            Column("sector", max_length=100, label="Secteur"),
            Column("typology", CODE, required=True, choices=codes.Typology, label="Typologie"),
            Column(
                "places", INT, required=True, min_value=1, max_value=1000, label="Nombre de places"
            ),
            Column("parc", CODE, required=True, choices=codes.Parc, label="Parc"),
            Column("landlord", max_length=200, help="Nom du bailleur.", label="Bailleur"),
            Column(
                "management_mode",
                CODE,
                required=True,
                choices=codes.ManagementMode,
                label="Mode de gestion",
            ),
            Column(
                "anah_convention", CODE, choices=codes.AnahConvention, label="Conventionnement Anah"
            ),
            Column("colocation", BOOL, label="Colocation"),
            Column("rent", MONEY, label="Loyer mensuel dû au bailleur"),
            Column("charges", MONEY, label="Charges mensuelles dues au bailleur"),
            Column("captation_date", DATE, required=True, label="Date de captation"),
            Column("return_date", DATE, label="Date de restitution"),
            Column(
                "return_reason", CODE, choices=codes.UnitReturnReason, label="Motif de restitution"
            ),
        ),
    ),
    Sheet(
        "chambres",
        "chambres",
        (
            _ref(max_length=60, label="Référence de la chambre"),
            Column(
                "logement",
                required=True,
                max_length=50,
                help="ref du logement.",
                label="Logement (référence)",
            ),
            Column(
                "places",
                INT,
                min_value=1,
                max_value=100,
                help="1 par défaut.",
                label="Nombre de places",
            ),
        ),
    ),
    Sheet(
        "menages",
        "ménages",
        (
            _ref(label="Référence du ménage"),
            Column("dispositif", required=True, max_length=30, label="Dispositif (code)"),
            Column("siao_ref", max_length=50, label="Référence SI-SIAO"),
            Column(
                "orientation_date",
                DATE,
                label="Date d’orientation SIAO",
                help="Vide : date inconnue, gardée vide (le ménage ne compte dans aucun chiffre "
                "d’orientation ; signalé dans la qualité des données du rapport).",
            ),
            Column("orienting_structure", max_length=200, label="Structure orienteuse"),
            Column(
                "prior_situation",
                CODE,
                choices=codes.PriorSituation,
                label="Situation avant l’entrée",
            ),
            Column("reinforced", BOOL, label="Accompagnement renforcé"),
            Column("entry_date", DATE, label="Date d’entrée"),
            Column("exit_date", DATE, label="Date de sortie"),
            Column(
                "exit_destination",
                CODE,
                choices=codes.ExitDestination,
                label="Destination à la sortie",
            ),
            Column("bail_glissant", BOOL, label="Sortie par bail glissant"),
            Column(
                "exit_support",
                CODES,
                choices=codes.ExitSupport,
                label="Accompagnement après la sortie",
            ),
            Column("withdrawal_date", DATE, label="Date de retrait"),
            Column(
                "withdrawal_reason",
                CODE,
                choices=codes.WithdrawalReason,
                label="Motif du retrait",
                help="Vide avec une date de retrait : motif inconnu (compté sous « inconnu »).",
            ),
        ),
    ),
    Sheet(
        "personnes",
        "personnes",
        (
            _ref(label="Référence de la personne"),
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("last_name", required=True, max_length=150, label="Nom"),
            Column("first_name", required=True, max_length=150, label="Prénom"),
            Column("sex", CODE, required=True, choices=codes.Sex, label="Sexe"),
            Column("birth_date", DATE, required=True, label="Date de naissance"),
            Column(
                "role", CODE, required=True, choices=codes.PersonRole, label="Rôle dans le ménage"
            ),
            Column(
                "nationality",
                COUNTRY,
                help="ISO 3166-1 alpha-2 (FR, AF, SD…).",
                label="Nationalité",
            ),
            Column(
                "protection_status",
                CODE,
                choices=codes.ProtectionStatus,
                label="Statut administratif",
            ),
            Column("joined_date", DATE, label="Arrivée dans le ménage"),
            Column("left_date", DATE, label="Départ du ménage"),
        ),
    ),
    Sheet(
        "ressources",
        "ressources",
        (
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("date", DATE, required=True, label="Date"),
            Column("resources", CODES, required=True, choices=codes.Resource, label="Ressources"),
        ),
        key="",
    ),
    Sheet(
        "emplois",
        "situations d’emploi",
        (
            Column("personne", required=True, max_length=50, label="Personne (référence)"),
            Column("date", DATE, required=True, label="Date"),
            Column(
                "employment",
                CODE,
                required=True,
                choices=codes.Employment,
                label="Situation d’emploi",
            ),
        ),
        key="",
    ),
    Sheet(
        "contrats",
        "contrats de sous-location",
        (
            _ref(max_length=30, label="Numéro du contrat"),
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("logement", required=True, max_length=50, label="Logement (référence)"),
            Column(
                "chambre",
                max_length=60,
                help="Vide : le logement entier.",
                label="Chambre (référence)",
            ),
            Column("start_date", DATE, required=True, label="Début du contrat"),
            Column(
                "end_date",
                DATE,
                required=True,
                help="Fin de la période initiale.",
                label="Fin prévue du contrat",
            ),
            Column("rent", MONEY, required=True, label="Loyer mensuel"),
            Column("charges", MONEY, label="Charges mensuelles"),
            Column("deposit", MONEY, label="Dépôt de garantie"),
            Column(
                "actual_end_date",
                DATE,
                help="Premier jour où l’espace est libre.",
                label="Fin effective",
            ),
        ),
    ),
    Sheet(
        "avenants",
        "avenants",
        (
            Column("contrat", required=True, max_length=30, label="Contrat (numéro)"),
            Column("date", DATE, required=True, label="Date de signature"),
            Column("new_end_date", DATE, required=True, label="Nouvelle fin"),
        ),
        key="",
    ),
    Sheet(
        "mouvements",
        "mouvements",
        (
            _ref(label="Référence de l’écriture"),
            Column("contrat", required=True, max_length=30, label="Contrat (numéro)"),
            Column("date", DATE, required=True, label="Date"),
            Column("kind", CODE, required=True, choices=codes.LedgerKind, label="Nature"),
            Column("amount", AMOUNT, required=True, label="Montant"),
            Column("method", CODE, choices=codes.PaymentMethod, label="Mode de paiement"),
            Column("period", MONTH, help="AAAA-MM (appels de loyer).", label="Mois concerné"),
            Column(
                "cancels",
                max_length=50,
                help="ref de l’écriture annulée.",
                label="Écriture annulée (référence)",
            ),
        ),
    ),
    Sheet(
        "plans_apurement",
        "plans d’apurement",
        (
            _ref(label="Référence du plan"),
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("start_date", DATE, required=True, label="Date de signature"),
            Column("total", MONEY, required=True, label="Dette à apurer"),
            Column("monthly_amount", MONEY, required=True, label="Mensualité"),
            Column("status", CODE, choices=codes.RepaymentPlanStatus, label="État"),
        ),
    ),
    Sheet(
        "accompagnements",
        "contrats d’accompagnement",
        (
            _ref(label="Référence du contrat d’accompagnement"),
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("start_date", DATE, required=True, label="Date de signature"),
            Column("end_date", DATE, required=True, label="Fin de la période initiale"),
            Column("objectives", CODES, choices=codes.SupportDomain, label="Objectifs (domaines)"),
            Column(
                "referent",
                TEXT,
                max_length=254,
                label="Référent·e (e-mail)",
                help="E-mail du ou de la référent·e ; vide : non renseigné. Une personne hors de "
                "l’équipe est gardée telle quelle.",
            ),
        ),
    ),
    Sheet(
        "avenants_accompagnement",
        "avenants d’accompagnement",
        (
            Column(
                "accompagnement",
                required=True,
                max_length=50,
                label="Contrat d’accompagnement (référence)",
            ),
            Column("date", DATE, required=True, label="Date de signature"),
            Column("new_end_date", DATE, required=True, label="Nouvelle fin"),
        ),
        key="",
    ),
    Sheet(
        "interactions",
        "interactions",
        (
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("date", DATE, required=True, label="Date"),
            Column(
                "type", CODE, required=True, choices=codes.InteractionType, label="Type d’échange"
            ),
            Column("domains", CODES, choices=codes.SupportDomain, label="Domaines"),
            Column(
                "staff",
                LIST,
                label="Intervenant·es (e-mails)",
                help="E-mails des intervenant·es, séparés par « ; ». Une personne qui n’est pas "
                "membre active de l’équipe est gardée telle quelle (aucun compte créé, aucun "
                "accès).",
            ),
            Column(
                "duration_minutes", INT, min_value=0, max_value=24 * 60, label="Durée (minutes)"
            ),
            Column("notes", label="Notes confidentielles"),
        ),
        key="",
    ),
    Sheet(
        "ateliers",
        "ateliers collectifs",
        (
            _ref(label="Référence de l’atelier"),
            Column("date", DATE, required=True, label="Date"),
            Column("title", required=True, max_length=200, label="Titre"),
            Column(
                "participants",
                LIST,
                required=True,
                help="ref des personnes, « ; ».",
                label="Participant·es (références)",
            ),
        ),
    ),
)

# The road out (``rehousing``): the social-housing demand, the proposals, the support
# measures and the follow-ups after the exit (docs/workbook-rehousing.md). The application
# keeps no operator reference for them: a demand is the household's (one each), a follow-up is
# the household's at a milestone, proposals and measures are matched by their natural key and
# its occurrence, as interactions are.
REHOUSING_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "demandes_logement",
        "demandes de logement social",
        (
            Column(
                "menage",
                required=True,
                max_length=50,
                help="Une demande par ménage.",
                label="Ménage (référence)",
            ),
            Column(
                "number",
                required=True,
                max_length=30,
                help="10 à 30 chiffres ou lettres (espaces permis), tel qu’il figure sur "
                "l’attestation d’enregistrement.",
                label="Numéro unique (NUR)",
            ),
            Column("filed_date", DATE, required=True, label="Déposée le"),
            Column("renewed_date", DATE, label="Dernier renouvellement le"),
            Column(
                "cities",
                max_length=300,
                help="Texte libre, communes séparées par des virgules (comme dans le logiciel).",
                label="Communes souhaitées",
            ),
            Column("typologies", CODES, choices=codes.Typology, label="Typologies souhaitées"),
            Column("syplo_date", DATE, label="Inscrite au SYPLO le"),
            Column("dalo_date", DATE, label="DALO reconnu le"),
            Column("accord_collectif", BOOL, label="Accord collectif"),
            Column("contingent_prefectoral", BOOL, label="Contingent préfectoral"),
            Column(
                "closed_date",
                DATE,
                help="Demande satisfaite ou abandonnée ; vide tant qu’elle vit.",
                label="Close le",
            ),
            Column("note", max_length=300, label="Note"),
        ),
        key="menage",
    ),
    Sheet(
        "propositions",
        "propositions de logement",
        (
            _ref(label="Référence de la proposition"),
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column(
                "landlord",
                required=True,
                max_length=150,
                help="Ex. OPAC, Habellis.",
                label="Bailleur",
            ),
            Column("parc", CODE, required=True, choices=codes.Parc, label="Parc"),
            Column("address", required=True, max_length=255, label="Adresse"),
            Column("city", required=True, max_length=100, label="Commune"),
            Column("typology", CODE, required=True, choices=codes.Typology, label="Typologie"),
            Column("rent", MONEY, label="Loyer charges comprises"),
            Column("received_date", DATE, required=True, label="Proposition reçue le"),
            Column("cal_date", DATE, label="Commission d’attribution (CAL) le"),
            Column(
                "cal_decision",
                CODE,
                choices=codes.CalDecision,
                help="Vide : en attente de la commission.",
                label="Décision de la commission",
            ),
            Column(
                "answer",
                CODE,
                choices=codes.ProposalAnswer,
                help="Vide : réponse attendue.",
                label="Réponse du ménage",
            ),
            Column(
                "answer_date",
                DATE,
                help="Obligatoire avec une réponse, vide sans.",
                label="Répondu le",
            ),
            Column(
                "refusal_reason",
                CODE,
                choices=codes.RefusalReason,
                help="Obligatoire pour un refus du ménage, vide sinon.",
                label="Motif du refus",
            ),
            Column("move_in_date", DATE, label="Entrée prévue le"),
            Column("note", max_length=300, label="Note"),
        ),
    ),
    Sheet(
        "mesures",
        "mesures d’accompagnement",
        (
            _ref(label="Référence de la mesure"),
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column("kind", CODE, required=True, choices=codes.MeasureKind, label="Mesure"),
            Column(
                "funder",
                max_length=150,
                help="Ex. Conseil départemental, DDETS.",
                label="Financeur",
            ),
            Column(
                "partner",
                max_length=200,
                help="Nom d’un partenaire de l’organisation (annuaire des partenaires), tel "
                "qu’il y est écrit.",
                label="Partenaire qui la porte",
            ),
            Column("start_date", DATE, required=True, label="Début"),
            Column("end_date", DATE, label="Fin"),
            Column("handover_date", DATE, label="Passage de relais le"),
            Column(
                "handover_to",
                max_length=150,
                help="Le travailleur social de secteur, son service.",
                label="Relais pris par",
            ),
            Column("note", max_length=300, label="Note"),
        ),
    ),
    Sheet(
        "suivis_sortie",
        "suivis après la sortie",
        (
            Column("menage", required=True, max_length=50, label="Ménage (référence)"),
            Column(
                "months",
                INT,
                required=True,
                min_value=1,
                max_value=6,
                help="1, 3 ou 6 : un suivi par ménage à chacune de ces échéances.",
                label="Suivi à (mois après la sortie)",
            ),
            Column("contact_date", DATE, required=True, label="Contact le"),
            Column(
                "housed",
                BOOL,
                help="Vide : non renseigné.",
                label="Toujours dans son logement",
            ),
            Column("debts", BOOL, help="Vide : non renseigné.", label="Des dettes de loyer"),
            Column("needs", max_length=300, label="Besoins"),
        ),
        key="",
    ),
)

SHEETS: tuple[Sheet, ...] = _HISTORY_SHEETS + REHOUSING_SHEETS

SHEETS_BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in SHEETS}

# The template's explanation and reference sheets, ignored by the import.
NOTICE_SHEET = "notice"
CODES_SHEET = "codes"
IGNORED_SHEETS = frozenset({NOTICE_SHEET, CODES_SHEET})

# Every code list of shared/docs/codes.md, by its name there.
CODE_LISTS: tuple[tuple[str, type[models.TextChoices]], ...] = (
    ("sex", codes.Sex),
    ("role", codes.PersonRole),
    ("protection_status", codes.ProtectionStatus),
    ("prior_situation", codes.PriorSituation),
    ("resource", codes.Resource),
    ("employment", codes.Employment),
    ("exit_destination", codes.ExitDestination),
    ("exit_support", codes.ExitSupport),
    ("withdrawal_reason", codes.WithdrawalReason),
    ("typology", codes.Typology),
    ("parc", codes.Parc),
    ("management_mode", codes.ManagementMode),
    ("anah_convention", codes.AnahConvention),
    ("unit_return_reason", codes.UnitReturnReason),
    ("ledger_kind", codes.LedgerKind),
    ("payment_method", codes.PaymentMethod),
    ("repayment_plan_status", codes.RepaymentPlanStatus),
    ("interaction_type", codes.InteractionType),
    ("support_domain", codes.SupportDomain),
    ("cal_decision", codes.CalDecision),
    ("proposal_answer", codes.ProposalAnswer),
    ("refusal_reason", codes.RefusalReason),
    ("measure_kind", codes.MeasureKind),
    ("dispositif_category", DispositifCategory),
    ("zone", Zone),
)


def columns_using(choices: type[models.TextChoices]) -> list[str]:
    """``sheet.column`` of every column coded with ``choices``."""
    return [
        f"{sheet.name}.{column.name}"
        for sheet in SHEETS
        for column in sheet.columns
        if column.choices is choices
    ]
