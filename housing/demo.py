"""Demo housing stock, called by ``manage.py seed_demo`` (deterministic, idempotent).

Modelled on the two real reports of shared/seeds:
- ``le-pont`` (seed 000): 6 shared T3 flats in Chalon-sur-Saône, 2 rooms of 1 place each
  (12 places); five captured in 2023 when the service opened, the sixth between October 2023
  and January 2024.
- ``apremis`` (seed 001, "Parc mobilisé"): 17 units in stock on 31 October 2024, 16 in Amiens
  (Grand Amiénois, 3 of them shared flats of 2 rooms) and 1 in Abbeville (Picardie Maritime),
  51 places; 4 captured and 3 returned during 1 November 2023 – 31 October 2024.

Rows are matched on references (units, rooms), names (landlords), start dates (leases) and
addresses (prospects): running it again updates them and creates nothing more.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from housing.models import (
    PARC_OF_LANDLORD_KIND,
    PROSPECT_TRANSITIONS,
    HousingUnit,
    Landlord,
    LandlordKind,
    LeaseGuarantee,
    MainLease,
    Prospect,
    ProspectStatus,
    ProspectTransition,
    Room,
)
from iml.codes import AnahConvention, ManagementMode, Typology, UnitReturnReason

D = datetime.date


@dataclass(frozen=True)
class DemoUnit:
    reference: str
    address: str
    postcode: str
    city: str
    sector: str
    typology: str
    places: int
    landlord: str
    captation: datetime.date
    rent: str
    charges: str
    rooms: int = 0
    returned: datetime.date | None = None
    reason: str = ""
    mode: str = ManagementMode.SOUS_LOCATION
    anah: str = AnahConvention.AUCUN
    energy: str = ""


@dataclass(frozen=True)
class DemoProspect:
    address: str
    postcode: str
    city: str
    typology: str
    landlord: str
    landlord_kind: str
    rent_asked: str
    status: str
    next_step: str = ""
    next_step_date: datetime.date | None = None
    notes: str = ""


# (name, kind, contact name, phone)
LANDLORDS = {
    "le-pont": [
        (
            "OPAC Saône-et-Loire",
            LandlordKind.SOCIAL,
            "Agence de Chalon-sur-Saône",
            "03 85 00 00 01",
        ),
        ("M. et Mme Bernard", LandlordKind.PRIVE, "M. Bernard", "06 00 00 00 02"),
        ("SCI Les Tilleuls", LandlordKind.PRIVE, "Agence Immo Saint-Vincent", "03 85 00 00 03"),
    ],
    "apremis": [
        ("Amiens Habitat", LandlordKind.SOCIAL, "Service attributions", "03 22 00 00 01"),
        ("Clésence", LandlordKind.SOCIAL, "Agence d’Amiens", "03 22 00 00 02"),
        (
            "SIP — Société Immobilière Picarde",
            LandlordKind.SOCIAL,
            "Gestion locative",
            "03 22 00 00 03",
        ),
        ("Baie de Somme Habitat", LandlordKind.SOCIAL, "Agence d’Abbeville", "03 22 00 00 04"),
        ("M. Lefèvre", LandlordKind.PRIVE, "M. Lefèvre", "06 00 00 00 05"),
        ("Mme Dubois", LandlordKind.PRIVE, "Mme Dubois", "06 00 00 00 06"),
        ("SCI Saint-Leu", LandlordKind.PRIVE, "Agence Picardie Immobilier", "03 22 00 00 07"),
    ],
}

CHALON = ("71100", "Chalon-sur-Saône", "Grand Chalon")
AMIENS = ("80000", "Amiens", "Grand Amiénois")
AMIENS_NORD = ("80080", "Amiens", "Grand Amiénois")
AMIENS_SUD = ("80090", "Amiens", "Grand Amiénois")
ABBEVILLE = ("80100", "Abbeville", "Picardie Maritime")


def _unit(reference: str, address: str, where: tuple[str, str, str], *rest, **kw) -> DemoUnit:
    """A row of the tables below; ``where`` is (postcode, city, sector)."""
    return DemoUnit(reference, address, *where, *rest, **kw)


U = _unit
T1, T2, T3, T4, T5 = Typology.T1, Typology.T2, Typology.T3, Typology.T4, Typology.T5
OPAC, BERNARD, TILLEULS = "OPAC Saône-et-Loire", "M. et Mme Bernard", "SCI Les Tilleuls"
AH, CLES, SIP, BDSH = (
    "Amiens Habitat",
    "Clésence",
    "SIP — Société Immobilière Picarde",
    "Baie de Somme Habitat",
)
LEF, DUB, SCI = "M. Lefèvre", "Mme Dubois", "SCI Saint-Leu"
GLISSEMENT, UNSAFE = UnitReturnReason.GLISSEMENT_BAIL, UnitReturnReason.INSECURITE
BG = ManagementMode.BAIL_GLISSANT
SANS_TRAVAUX = AnahConvention.SANS_TRAVAUX

# fmt: off
UNITS = {
    "le-pont": [
        U("LP-01", "14 avenue Boucicaut", CHALON, T3, 2, OPAC, D(2023, 2, 1), "560", "95",
          rooms=2, energy="C"),
        U("LP-02", "3 rue de la Citadelle", CHALON, T3, 2, OPAC, D(2023, 2, 1), "545", "90",
          rooms=2, energy="D"),
        U("LP-03", "27 quai Gambetta", CHALON, T3, 2, BERNARD, D(2023, 3, 15), "610", "70",
          rooms=2, anah=SANS_TRAVAUX, energy="D"),
        U("LP-04", "8 rue aux Fèvres", CHALON, T3, 2, TILLEULS, D(2023, 4, 1), "630", "60",
          rooms=2, energy="E"),
        U("LP-05", "52 avenue de Paris", CHALON, T3, 2, OPAC, D(2023, 6, 1), "570", "95",
          rooms=2, energy="C"),
        U("LP-06", "11 rue Saint-Georges", CHALON, T3, 2, TILLEULS, D(2023, 11, 20), "640", "65",
          rooms=2, energy="D"),
    ],
    "apremis": [
        # Shared flats (2 rooms of 1 place each); AM-03 captured during the period.
        U("AM-01", "5 rue Jules Barni", AMIENS, T3, 2, AH, D(2021, 9, 1), "520", "110",
          rooms=2, energy="D"),
        U("AM-02", "18 rue Saint-Leu", AMIENS, T3, 2, SCI, D(2022, 3, 1), "590", "60",
          rooms=2, energy="E"),
        U("AM-03", "41 boulevard de Beauvillé", AMIENS_NORD, T3, 2, AH, D(2024, 2, 1),
          "535", "115", rooms=2, energy="C"),
        # Whole units, families; AM-08, AM-09 and AM-12 captured during the period.
        U("AM-04", "9 rue de la Hotoie", AMIENS, T1, 1, LEF, D(2023, 3, 1), "390", "40",
          energy="E"),
        U("AM-05", "22 rue Gresset", AMIENS, T1, 1, DUB, D(2022, 10, 1), "410", "35",
          anah=SANS_TRAVAUX, energy="D"),
        U("AM-06", "7 allée du Pays d’Auge", AMIENS_NORD, T2, 2, CLES, D(2022, 1, 15),
          "430", "85", mode=BG, energy="C"),
        U("AM-07", "63 rue Vulfran Warmé", AMIENS, T2, 2, SIP, D(2023, 4, 1), "445", "80",
          energy="D"),
        U("AM-08", "12 rue Dijon", AMIENS_SUD, T2, 2, AH, D(2024, 1, 8), "425", "90",
          mode=BG, energy="C"),
        U("AM-09", "30 rue Camille Desmoulins", AMIENS_SUD, T3, 3, CLES, D(2024, 6, 3),
          "505", "105", mode=BG, energy="C"),
        U("AM-10", "2 place Vogel", AMIENS, T3, 3, SIP, D(2022, 6, 1), "495", "100",
          energy="D"),
        U("AM-11", "75 rue Jean Moulin", AMIENS_NORD, T3, 3, AH, D(2023, 1, 9), "500", "110",
          mode=BG, energy="D"),
        U("AM-12", "16 rue Lamarck", AMIENS_SUD, T3, 3, LEF, D(2023, 12, 4), "620", "50",
          anah=SANS_TRAVAUX, energy="E"),
        U("AM-13", "4 rue du Chapeau de Violettes", AMIENS, T4, 5, CLES, D(2021, 11, 1),
          "610", "130", energy="C"),
        U("AM-14", "48 avenue de la Paix", AMIENS_NORD, T4, 5, AH, D(2022, 9, 1), "595", "125",
          mode=BG, energy="D"),
        U("AM-15", "19 rue Pierre Rollin", AMIENS_SUD, T4, 5, SIP, D(2023, 2, 1), "600", "120",
          energy="C"),
        U("AM-16", "110 chaussée d’Hocquet", ABBEVILLE, T4, 5, BDSH, D(2023, 5, 2), "560", "115",
          mode=BG, energy="D"),
        U("AM-17", "26 rue Alexandre Dumas", AMIENS_SUD, T5, 5, CLES, D(2022, 12, 1), "690", "145",
          mode=BG, energy="C"),
        # Returned during the period: a shared flat judged unsafe, two leases slid to families.
        U("AM-R1", "9 rue des Majots", AMIENS, T3, 2, DUB, D(2021, 10, 1), "560", "55",
          rooms=2, returned=D(2024, 3, 1), reason=UNSAFE, energy="F"),
        U("AM-R2", "33 rue Alexandre Dumas", AMIENS_SUD, T4, 5, CLES, D(2022, 4, 1), "605", "125",
          returned=D(2024, 6, 1), reason=GLISSEMENT, mode=BG, energy="C"),
        U("AM-R3", "14 rue Gaulthier de Rumilly", AMIENS_SUD, T5, 6, AH, D(2022, 7, 1),
          "680", "150", returned=D(2024, 9, 16), reason=GLISSEMENT, mode=BG, energy="D"),
    ],
}
# fmt: on

PROSPECTS = {
    "le-pont": [
        DemoProspect(
            "6 rue du Pont",
            "71100",
            "Chalon-sur-Saône",
            T3,
            "M. Girard",
            LandlordKind.PRIVE,
            "620.00",
            ProspectStatus.VISITE,
            "Visite avec l’agence",
            D(2025, 1, 14),
            "T3 meublable en colocation, proche de la gare.",
        ),
        DemoProspect(
            "21 rue de Lyon",
            "71100",
            "Chalon-sur-Saône",
            T1,
            "Habellis",
            LandlordKind.SOCIAL,
            "380.00",
            ProspectStatus.CONTACT,
            "Rappeler le service attributions",
            D(2025, 1, 9),
            "Studio pour une femme isolée, en logement individuel.",
        ),
    ],
    "apremis": [
        DemoProspect(
            "57 rue Saint-Fuscien",
            "80090",
            "Amiens",
            T4,
            "Clésence",
            LandlordKind.SOCIAL,
            "615.00",
            ProspectStatus.NEGOCIATION,
            "Signature du bail en convention tripartite",
            D(2024, 11, 18),
            "Captation spécifique en vue d’un glissement de bail (famille de 5).",
        ),
        DemoProspect(
            "8 rue des Jacobins",
            "80000",
            "Amiens",
            T2,
            "M. Caron",
            LandlordKind.PRIVE,
            "470.00",
            ProspectStatus.VISITE,
            "Visite du logement",
            D(2024, 11, 7),
        ),
        DemoProspect(
            "3 rue du Hocquet",
            "80100",
            "Abbeville",
            T3,
            "Mme Lemaire",
            LandlordKind.PRIVE,
            "540.00",
            ProspectStatus.ABANDONNE,
            notes="DPE G : travaux refusés par la propriétaire.",
        ),
    ],
}


def seed(*, organisation, demo, dispositif, users) -> None:
    """Create or update the demo stock of ``demo.slug`` (nothing for other organisations)."""
    if demo.slug not in UNITS:
        return
    landlords = {
        name: Landlord.objects.update_or_create(
            organisation=organisation,
            name=name,
            defaults={"kind": kind, "contact_name": contact, "phone": phone},
        )[0]
        for name, kind, contact, phone in LANDLORDS[demo.slug]
    }
    for data in UNITS[demo.slug]:
        _seed_unit(organisation, dispositif, landlords[data.landlord], data)
    for data in PROSPECTS[demo.slug]:
        _seed_prospect(organisation, data, users.get("regisseur"))


def _seed_unit(organisation, dispositif, landlord: Landlord, data: DemoUnit) -> None:
    unit, _ = HousingUnit.objects.update_or_create(
        organisation=organisation,
        reference=data.reference,
        defaults={
            "dispositif": dispositif,
            "address": data.address,
            "postcode": data.postcode,
            "city": data.city,
            "sector": data.sector,
            "typology": data.typology,
            "places": data.places,
            "colocation": bool(data.rooms),
            "parc": PARC_OF_LANDLORD_KIND[landlord.kind],
            "management_mode": data.mode,
            "anah_convention": data.anah,
            "energy_class": data.energy,
            "landlord": landlord,
            "rent": Decimal(data.rent),
            "charges": Decimal(data.charges),
            "captation_date": data.captation,
            "return_date": data.returned,
            "return_reason": data.reason,
        },
    )
    for number in range(1, data.rooms + 1):
        Room.objects.update_or_create(
            organisation=organisation,
            reference=f"{data.reference}-C{number}",
            defaults={"unit": unit, "label": f"Chambre {number}", "places": 1},
        )
    MainLease.objects.update_or_create(
        organisation=organisation,
        unit=unit,
        start_date=data.captation,
        defaults={
            "landlord": landlord,
            "management_mode": data.mode,
            "end_date": data.returned,
            "rent": Decimal(data.rent),
            "charges": Decimal(data.charges),
            "deposit": Decimal(data.rent),
            "guarantee": LeaseGuarantee.VISALE if landlord.kind == LandlordKind.PRIVE else "",
        },
    )


def _seed_prospect(organisation, data: DemoProspect, by) -> None:
    prospect, _ = Prospect.objects.update_or_create(
        organisation=organisation,
        address=data.address,
        city=data.city,
        defaults={
            "postcode": data.postcode,
            "typology": data.typology,
            "landlord_name": data.landlord,
            "landlord_kind": data.landlord_kind,
            "rent_asked": Decimal(data.rent_asked),
            "status": data.status,
            "next_step": data.next_step,
            "next_step_date": data.next_step_date,
            "notes": data.notes,
        },
    )
    # The trace of the steps it went through, along the pipeline.
    path = [ProspectStatus.CONTACT]
    while path[-1] != data.status:
        following = PROSPECT_TRANSITIONS[path[-1]]
        path.append(data.status if data.status in following else following[0])
    for previous, status in zip(["", *path[:-1]], path, strict=True):
        ProspectTransition.objects.get_or_create(
            organisation=organisation,
            prospect=prospect,
            to_status=status,
            defaults={"from_status": previous, "by": by},
        )
