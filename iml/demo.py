"""The demo organisations and accounts (no Django import: ``make run`` prints them early)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "demo-iml-2026"
# Heads and admins must pass a second factor: the demo gives them a recovery code that
# `seed_demo` tops up (each use consumes one), instead of a phone to configure.
DEMO_SECOND_FACTOR = "20262026"
DEMO_SECOND_FACTOR_ROLES = ("head", "admin")


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    departement: str
    domain: str
    dispositif: dict = field(default_factory=dict)
    ddets: str = ""  # the slug of the DDETS that funds the dispositif (``FUNDERS``)


ORGANISATIONS = [
    # Seed 000: IML for refugees (BPI) in Chalon-sur-Saône, 12 places in 6 shared T3 flats.
    DemoOrganisation(
        slug="le-pont",
        name="Le Pont — IML BPI Chalon",
        departement="71",
        domain="le-pont.example",
        ddets="ddets-71",
        dispositif={
            "code": "IML-BPI",
            "name": "IML BPI",
            "category": "classique",
            "zone": "detendue",
            "funder": "DDETS de Saône-et-Loire — BOP 177",
            "places": 12,
            "report_start_month": 1,
        },
    ),
    # Seed 001: IML Réfugiés in the Somme, 17 units, period 1 November – 31 October.
    DemoOrganisation(
        slug="apremis",
        name="APREMIS — IML Réfugiés Somme",
        departement="80",
        domain="apremis.example",
        ddets="ddets-80",
        dispositif={
            "code": "IML-R",
            "name": "IML Réfugiés",
            "category": "classique",
            "zone": "detendue",
            "funder": "DDETS de la Somme — BOP 177",
            "places": 51,
            "report_start_month": 11,
        },
    ),
]

# (role code, e-mail prefix, first name, last name, label shown in the README and banner)
PEOPLE = [
    ("social_worker", "ts", "Camille", "Travailleuse sociale", "travailleuse sociale"),
    ("regisseur", "regisseur", "Karim", "Régisseur", "régisseur"),
    ("head", "chef", "Nadia", "Cheffe de service", "cheffe de service"),
    ("admin", "admin", "Louis", "Administrateur", "administrateur"),
]


def demo_logins() -> list[tuple[str, str, str]]:
    """(organisation name, e-mail, role label) of every demo account."""
    return [
        (org.name, f"{prefix}@{org.domain}", label)
        for org in ORGANISATIONS
        for _, prefix, _, _, label in PEOPLE
    ]


@dataclass(frozen=True)
class DemoFunder:
    kind: str
    slug: str
    name: str
    departements: tuple[str, ...] = ()
    region: str = ""
    agent: str = ""  # the agent's e-mail (second factor: the demo code)


# The funders of the two demo operators (Somme: Hauts-de-France; Saône-et-Loire:
# Bourgogne-Franche-Comté), their DREETS, and the national level.
FUNDERS = [
    DemoFunder("ddets", "ddets-80", "DDETS de la Somme", ("80",), agent="agent@ddets80.example"),
    DemoFunder("ddets", "ddets-71", "DDETS de Saône-et-Loire", ("71",),
               agent="agent@ddets71.example"),
    DemoFunder("dreets", "dreets-hdf", "DREETS Hauts-de-France", region="32",
               agent="agent@dreets-hdf.example"),
    DemoFunder("dreets", "dreets-bfc", "DREETS Bourgogne-Franche-Comté", region="27",
               agent="agent@dreets-bfc.example"),
    DemoFunder("national", "dihal", "DIHAL (niveau national)", agent="agent@dihal.example"),
]  # fmt: skip


def funder_logins() -> list[tuple[str, str, str]]:
    """(funder name, e-mail, role label) of every demo funder's agent."""
    return [(funder.name, funder.agent, "agent du financeur") for funder in FUNDERS]
