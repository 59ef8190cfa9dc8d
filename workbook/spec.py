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


def _ref(name: str = "ref", max_length: int = 50, required: bool = True, help: str = "") -> Column:
    return Column(name, TEXT, required=required, max_length=max_length, help=help)


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "dispositifs",
        "dispositifs",
        (
            Column("code", required=True, max_length=30, help="Identifiant du dispositif."),
            Column("name", required=True, max_length=200),
            Column("category", CODE, required=True, choices=DispositifCategory),
            Column("zone", CODE, required=True, choices=Zone),
            Column("funder", max_length=200),
            Column("places", INT, min_value=0, max_value=100000),
            Column(
                "report_start_month", INT, min_value=1, max_value=12, help="1 à 12 ; 1 par défaut."
            ),
            Column("age_brackets", max_length=200, help="Ex. 0-17;18-24;25-39;40-59;60+"),
        ),
        key="code",
    ),
    Sheet(
        "logements",
        "logements",
        (
            _ref(),
            Column("dispositif", required=True, max_length=30, help="Code du dispositif."),
            Column("address", required=True, max_length=255),
            Column("postcode", POSTCODE, required=True),
            Column("city", required=True, max_length=100),
            Column("sector", max_length=100),
            Column("typology", CODE, required=True, choices=codes.Typology),
            Column("places", INT, required=True, min_value=1, max_value=1000),
            Column("parc", CODE, required=True, choices=codes.Parc),
            Column("landlord", max_length=200, help="Nom du bailleur."),
            Column("management_mode", CODE, required=True, choices=codes.ManagementMode),
            Column("anah_convention", CODE, choices=codes.AnahConvention),
            Column("colocation", BOOL),
            Column("rent", MONEY),
            Column("charges", MONEY),
            Column("captation_date", DATE, required=True),
            Column("return_date", DATE),
            Column("return_reason", CODE, choices=codes.UnitReturnReason),
        ),
    ),
    Sheet(
        "chambres",
        "chambres",
        (
            _ref(max_length=60),
            Column("logement", required=True, max_length=50, help="ref du logement."),
            Column("places", INT, min_value=1, max_value=100, help="1 par défaut."),
        ),
    ),
    Sheet(
        "menages",
        "ménages",
        (
            _ref(),
            Column("dispositif", required=True, max_length=30),
            Column("siao_ref", max_length=50),
            Column("orientation_date", DATE, help="Vide : la date d’entrée (ou de retrait)."),
            Column("orienting_structure", max_length=200),
            Column("prior_situation", CODE, choices=codes.PriorSituation),
            Column("reinforced", BOOL),
            Column("entry_date", DATE),
            Column("exit_date", DATE),
            Column("exit_destination", CODE, choices=codes.ExitDestination),
            Column("bail_glissant", BOOL),
            Column("exit_support", CODES, choices=codes.ExitSupport),
            Column("withdrawal_date", DATE),
            Column("withdrawal_reason", CODE, choices=codes.WithdrawalReason),
        ),
    ),
    Sheet(
        "personnes",
        "personnes",
        (
            _ref(),
            Column("menage", required=True, max_length=50),
            Column("last_name", required=True, max_length=150),
            Column("first_name", required=True, max_length=150),
            Column("sex", CODE, required=True, choices=codes.Sex),
            Column("birth_date", DATE, required=True),
            Column("role", CODE, required=True, choices=codes.PersonRole),
            Column("nationality", COUNTRY, help="ISO 3166-1 alpha-2 (FR, AF, SD…)."),
            Column("protection_status", CODE, choices=codes.ProtectionStatus),
            Column("joined_date", DATE),
            Column("left_date", DATE),
        ),
    ),
    Sheet(
        "ressources",
        "ressources",
        (
            Column("menage", required=True, max_length=50),
            Column("date", DATE, required=True),
            Column("resources", CODES, required=True, choices=codes.Resource),
        ),
        key="",
    ),
    Sheet(
        "emplois",
        "situations d’emploi",
        (
            Column("personne", required=True, max_length=50),
            Column("date", DATE, required=True),
            Column("employment", CODE, required=True, choices=codes.Employment),
        ),
        key="",
    ),
    Sheet(
        "contrats",
        "contrats de sous-location",
        (
            _ref(max_length=30),
            Column("menage", required=True, max_length=50),
            Column("logement", required=True, max_length=50),
            Column("chambre", max_length=60, help="Vide : le logement entier."),
            Column("start_date", DATE, required=True),
            Column("end_date", DATE, required=True, help="Fin de la période initiale."),
            Column("rent", MONEY, required=True),
            Column("charges", MONEY),
            Column("deposit", MONEY),
            Column("actual_end_date", DATE, help="Premier jour où l’espace est libre."),
        ),
    ),
    Sheet(
        "avenants",
        "avenants",
        (
            Column("contrat", required=True, max_length=30),
            Column("date", DATE, required=True),
            Column("new_end_date", DATE, required=True),
        ),
        key="",
    ),
    Sheet(
        "mouvements",
        "mouvements",
        (
            _ref(),
            Column("contrat", required=True, max_length=30),
            Column("date", DATE, required=True),
            Column("kind", CODE, required=True, choices=codes.LedgerKind),
            Column("amount", AMOUNT, required=True),
            Column("method", CODE, choices=codes.PaymentMethod),
            Column("period", MONTH, help="AAAA-MM (appels de loyer)."),
            Column("cancels", max_length=50, help="ref de l’écriture annulée."),
        ),
    ),
    Sheet(
        "plans_apurement",
        "plans d’apurement",
        (
            _ref(),
            Column("menage", required=True, max_length=50),
            Column("start_date", DATE, required=True),
            Column("total", MONEY, required=True),
            Column("monthly_amount", MONEY, required=True),
            Column("status", CODE, choices=codes.RepaymentPlanStatus),
        ),
    ),
    Sheet(
        "accompagnements",
        "contrats d’accompagnement",
        (
            _ref(),
            Column("menage", required=True, max_length=50),
            Column("start_date", DATE, required=True),
            Column("end_date", DATE, required=True),
            Column("objectives", CODES, choices=codes.SupportDomain),
        ),
    ),
    Sheet(
        "avenants_accompagnement",
        "avenants d’accompagnement",
        (
            Column("accompagnement", required=True, max_length=50),
            Column("date", DATE, required=True),
            Column("new_end_date", DATE, required=True),
        ),
        key="",
    ),
    Sheet(
        "interactions",
        "interactions",
        (
            Column("menage", required=True, max_length=50),
            Column("date", DATE, required=True),
            Column("type", CODE, required=True, choices=codes.InteractionType),
            Column("domains", CODES, choices=codes.SupportDomain),
            Column("staff", LIST, help="E-mails des intervenant·es, séparés par « ; »."),
            Column("duration_minutes", INT, min_value=0, max_value=24 * 60),
            Column("notes"),
        ),
        key="",
    ),
    Sheet(
        "ateliers",
        "ateliers collectifs",
        (
            _ref(),
            Column("date", DATE, required=True),
            Column("title", required=True, max_length=200),
            Column("participants", LIST, required=True, help="ref des personnes, « ; »."),
        ),
    ),
)

SHEETS_BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in SHEETS}

# The template's reference sheet, ignored by the import.
CODES_SHEET = "codes"

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
