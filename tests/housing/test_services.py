"""Every rule of the housing services: what is allowed, what is refused (in French), and that a
refusal writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from housing import services
from housing.models import (
    HousingUnit,
    Landlord,
    LandlordKind,
    MainLease,
    Prospect,
    ProspectStatus,
    ProspectTransition,
    Room,
)
from iml.codes import ManagementMode, Parc, Typology
from iml.models import Role
from tests.factories import DispositifFactory
from tests.housing.factories import (
    HousingUnitFactory,
    LandlordFactory,
    MainLeaseFactory,
    ProspectFactory,
    RoomFactory,
)

D = datetime.date
HOUSING_MODELS = [Landlord, HousingUnit, Room, MainLease, Prospect, ProspectTransition]

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[dict]]:
    return {
        model.__name__: list(model.all_organisations.order_by("pk").values())
        for model in HOUSING_MODELS
    }


def refused(call, message: str) -> ValidationError:
    """``call()`` raises a ValidationError containing ``message`` and changes no row."""
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        call()
    assert any(message in m for m in excinfo.value.messages), excinfo.value.messages
    assert snapshot() == before
    return excinfo.value


@pytest.fixture
def regisseur(members_a):
    return members_a[Role.REGISSEUR].user


def new_unit(org, dispositif, **fields) -> HousingUnit:
    data = {
        "organisation": org,
        "dispositif": dispositif,
        "reference": "AM-01",
        "address": "5 rue Jules Barni",
        "postcode": "80000",
        "city": "Amiens",
        "sector": "Grand Amiénois",
        "typology": Typology.T3,
        "places": 3,
        "parc": Parc.PRIVE,
        "management_mode": ManagementMode.SOUS_LOCATION,
        "captation_date": D(2024, 1, 1),
    }
    return HousingUnit(**{**data, **fields})


# --- Landlords ------------------------------------------------------------------------------


def test_landlord_save_creates_and_refuses_a_duplicate_name(as_org_a):
    landlord = services.landlord_save(
        landlord=Landlord(kind=LandlordKind.SOCIAL, name="  OPAC Saône-et-Loire ")
    )
    assert landlord.organisation == as_org_a and landlord.name == "OPAC Saône-et-Loire"
    refused(
        lambda: services.landlord_save(
            landlord=Landlord(kind=LandlordKind.PRIVE, name="OPAC Saône-et-Loire")
        ),
        "Un bailleur de l’organisation porte déjà ce nom.",
    )


# --- Units ----------------------------------------------------------------------------------


def test_unit_create(as_org_a, dispositif_a):
    unit = services.unit_create(unit=new_unit(as_org_a, dispositif_a))
    assert HousingUnit.objects.get(reference="AM-01").pk == unit.pk


def test_unit_create_refuses_a_reference_already_used(as_org_a, dispositif_a):
    HousingUnitFactory(organisation=as_org_a, reference="AM-01")
    refused(
        lambda: services.unit_create(unit=new_unit(as_org_a, dispositif_a)),
        "Un logement de l’organisation porte déjà cette référence.",
    )


def test_unit_create_checks_every_field(as_org_a, dispositif_a):
    error = refused(
        lambda: services.unit_create(
            unit=new_unit(as_org_a, dispositif_a, places=0, postcode="8000")
        ),
        "Le code postal compte 5 chiffres.",
    )
    assert set(error.message_dict) >= {"places", "postcode"}


def test_unit_create_refuses_a_return_recorded_at_creation(as_org_a, dispositif_a):
    refused(
        lambda: services.unit_create(
            unit=new_unit(as_org_a, dispositif_a, return_date=D(2024, 6, 1), return_reason="autre")
        ),
        "Un logement se restitue depuis sa fiche",
    )


def test_unit_update_keeps_rooms_consistent(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, shared=True, places=3)
    RoomFactory(unit=unit, places=1)
    RoomFactory(unit=unit, places=1)

    unit.places = 1
    refused(
        lambda: services.unit_update(unit=unit),
        "Ses chambres comptent 2 places : le logement ne peut pas en avoir moins.",
    )
    unit.places, unit.colocation = 3, False
    refused(lambda: services.unit_update(unit=unit), "il reste en colocation")

    unit.colocation, unit.places, unit.city = True, 2, "Chalon"
    services.unit_update(unit=unit)
    unit.refresh_from_db()
    assert (unit.places, unit.city) == (2, "Chalon")


def test_unit_update_refuses_a_captation_after_the_return(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, returned=True)  # returned on 1 June 2024
    unit.captation_date = D(2024, 7, 1)
    refused(
        lambda: services.unit_update(unit=unit),
        "La restitution ne peut pas précéder la captation.",
    )


# --- Rooms ----------------------------------------------------------------------------------


def test_room_add_derives_references_and_fills_the_unit(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, shared=True, reference="LP-01", places=2)
    RoomFactory(unit=unit, reference="LP-01-C1", label="Chambre A")  # taken reference
    room = services.room_add(room=Room(unit=unit, label="Chambre B", places=1, reference=""))
    assert room.reference == "LP-01-C2" and room.organisation == as_org_a
    refused(
        lambda: services.room_add(room=Room(unit=unit, label="Chambre C", places=1)),
        "Le logement compte 2 places et ses autres chambres en occupent 2 : il en reste 0",
    )


def test_room_add_keeps_a_typed_reference(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, shared=True)
    room = services.room_add(room=Room(unit=unit, label="Chambre 1", reference=" CH-9 "))
    assert room.reference == "CH-9"


def test_rooms_only_on_shared_flats(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, colocation=False, places=4)
    refused(
        lambda: services.room_add(room=Room(unit=unit, label="Chambre 1", places=1)),
        "Seul un logement en colocation se partage en chambres",
    )


def test_no_room_changes_on_a_returned_unit(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, shared=True, returned=True)
    refused(
        lambda: services.room_add(room=Room(unit=unit, label="Chambre 1", places=1)),
        "Ce logement a été rendu au bailleur le 01/06/2024",
    )


def test_room_update_checks_the_places_left(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, shared=True, places=3)
    first = RoomFactory(unit=unit, places=1)
    RoomFactory(unit=unit, places=1)
    first.places = 2
    services.room_update(room=first)
    first.places = 3
    refused(
        lambda: services.room_update(room=first),
        "ses autres chambres en occupent 1 : il en reste 2 pour cette chambre.",
    )


def test_room_label_is_unique_in_its_unit(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, shared=True, places=4)
    RoomFactory(unit=unit, label="Chambre 1")
    refused(
        lambda: services.room_add(room=Room(unit=unit, label="Chambre 1", places=1)),
        "Ce logement a déjà une chambre de ce nom.",
    )


# --- Return ---------------------------------------------------------------------------------


def test_unit_return_ends_the_running_lease(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 1, 1))
    old = MainLeaseFactory(unit=unit, start_date=D(2023, 1, 1), end_date=D(2024, 1, 1))
    running = MainLeaseFactory(unit=unit, start_date=D(2024, 1, 1))
    services.unit_return(unit=unit, return_date=D(2024, 9, 16), reason="glissement_bail")
    unit.refresh_from_db()
    running.refresh_from_db()
    old.refresh_from_db()
    assert (unit.return_date, unit.return_reason) == (D(2024, 9, 16), "glissement_bail")
    assert running.end_date == D(2024, 9, 16)
    assert old.end_date == D(2024, 1, 1)


def test_unit_return_on_the_captation_day_is_allowed(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 1, 1))
    services.unit_return(unit=unit, return_date=D(2024, 1, 1), reason="autre")
    unit.refresh_from_db()
    assert unit.return_date == D(2024, 1, 1)


def test_unit_return_refuses_a_date_before_captation(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 1, 1))
    refused(
        lambda: services.unit_return(unit=unit, return_date=D(2023, 12, 31), reason="autre"),
        "La restitution ne peut pas précéder la captation du 01/01/2024.",
    )


def test_unit_return_refuses_twice(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, returned=True)
    refused(
        lambda: services.unit_return(unit=unit, return_date=D(2024, 8, 1), reason="autre"),
        "Ce logement a déjà été rendu au bailleur le 01/06/2024.",
    )


def refuse_after_june(*, unit, return_date):
    if return_date > D(2024, 6, 30):
        raise ValidationError({"return_date": f"Refusé pour {unit.reference}."})


def test_unit_return_asks_the_guards_of_the_apps_above(as_org_a, monkeypatch):
    """Apps above housing (tenancy: a household still subletting) refuse through the registry,
    before anything is written."""
    monkeypatch.setattr(
        services, "UNIT_RETURN_GUARDS", ["tests.housing.test_services.refuse_after_june"]
    )
    unit = HousingUnitFactory(organisation=as_org_a, reference="LP-01")
    refused(
        lambda: services.unit_return(unit=unit, return_date=D(2024, 7, 1), reason="autre"),
        "Refusé pour LP-01.",
    )
    services.unit_return(unit=unit, return_date=D(2024, 6, 30), reason="autre")
    unit.refresh_from_db()
    assert unit.return_date == D(2024, 6, 30)


def test_unit_return_refuses_an_unknown_reason(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a)
    refused(
        lambda: services.unit_return(unit=unit, return_date=D(2024, 8, 1), reason="vente"),
        "n’est pas un choix valide",
    )


def test_unit_return_refuses_a_date_before_a_lease_starts(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 1, 1))
    MainLeaseFactory(unit=unit, start_date=D(2024, 5, 1))
    refused(
        lambda: services.unit_return(unit=unit, return_date=D(2024, 3, 1), reason="autre"),
        "Un bail principal de ce logement commence après cette date.",
    )


# --- Main leases ----------------------------------------------------------------------------


def test_recording_the_latest_lease_updates_the_units_current_terms(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, captation_date=D(2024, 1, 1))
    landlord = LandlordFactory(organisation=as_org_a, social=True)
    lease = services.main_lease_record(
        lease=MainLease(
            unit=unit,
            landlord=landlord,
            management_mode=ManagementMode.MANDAT_GESTION,
            start_date=D(2024, 1, 1),
            rent=Decimal("512.40"),
            charges=Decimal("80"),
            deposit=Decimal("512.40"),
            guarantee="visale",
            guarantee_reference="V123",
        )
    )
    assert lease.organisation == as_org_a
    unit.refresh_from_db()
    assert (unit.landlord, unit.management_mode, unit.rent, unit.charges) == (
        landlord,
        ManagementMode.MANDAT_GESTION,
        Decimal("512.40"),
        Decimal("80.00"),
    )
    # An older lease, recorded afterwards, keeps the current terms.
    services.main_lease_record(
        lease=MainLease(
            unit=unit,
            landlord=LandlordFactory(organisation=as_org_a),
            management_mode=ManagementMode.SOUS_LOCATION,
            start_date=D(2023, 1, 1),
            end_date=D(2024, 1, 1),
            rent=Decimal("450"),
        )
    )
    unit.refresh_from_db()
    assert unit.landlord == landlord and unit.rent == Decimal("512.40")

    lease.rent = Decimal("530.00")
    services.main_lease_update(lease=lease)
    unit.refresh_from_db()
    assert unit.rent == Decimal("530.00")


def test_main_lease_refuses_overlapping_dates(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a)
    existing = MainLeaseFactory(unit=unit, start_date=D(2024, 1, 1))
    refused(
        lambda: services.main_lease_record(
            lease=MainLease(
                unit=unit,
                landlord=existing.landlord,
                management_mode=ManagementMode.SOUS_LOCATION,
                start_date=D(2024, 6, 1),
                rent=Decimal("500"),
            )
        ),
        "Un autre bail principal de ce logement couvre déjà une partie de ces dates.",
    )


def test_main_lease_refuses_an_end_before_its_start_and_negative_amounts(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a)
    landlord = LandlordFactory(organisation=as_org_a)
    error = refused(
        lambda: services.main_lease_record(
            lease=MainLease(
                unit=unit,
                landlord=landlord,
                management_mode=ManagementMode.SOUS_LOCATION,
                start_date=D(2024, 6, 1),
                end_date=D(2024, 5, 31),
                rent=Decimal("-1"),
            )
        ),
        "La fin du bail ne peut pas précéder son début.",
    )
    assert "Un montant ne peut pas être négatif." in error.message_dict["rent"]


def test_main_lease_cannot_start_once_the_unit_is_returned(as_org_a):
    unit = HousingUnitFactory(organisation=as_org_a, returned=True)
    landlord = LandlordFactory(organisation=as_org_a)
    refused(
        lambda: services.main_lease_record(
            lease=MainLease(
                unit=unit,
                landlord=landlord,
                management_mode=ManagementMode.SOUS_LOCATION,
                start_date=D(2024, 6, 1),
                rent=Decimal("500"),
            )
        ),
        "Le logement a été rendu au bailleur le 01/06/2024",
    )


# --- Pipeline -------------------------------------------------------------------------------


def test_prospect_create_opens_at_first_contact_with_a_trace(as_org_a, regisseur):
    prospect = services.prospect_create(
        prospect=Prospect(
            landlord_name="M. Girard",
            address="6 rue du Pont",
            postcode="71100",
            city="Chalon-sur-Saône",
            typology=Typology.T3,
            status=ProspectStatus.NEGOCIATION,  # ignored: a prospect starts at contact
        ),
        by=regisseur,
    )
    assert prospect.status == ProspectStatus.CONTACT
    trace = ProspectTransition.objects.get(prospect=prospect)
    assert (trace.from_status, trace.to_status, trace.by) == ("", "contact", regisseur)


def test_prospect_needs_a_landlord_or_a_name(as_org_a, regisseur):
    refused(
        lambda: services.prospect_create(
            prospect=Prospect(
                landlord_name="  ",
                address="6 rue du Pont",
                postcode="71100",
                city="Chalon-sur-Saône",
                typology=Typology.T3,
            ),
            by=regisseur,
        ),
        "Choisissez un bailleur enregistré ou indiquez son nom.",
    )


def test_prospect_update_does_not_change_the_step(as_org_a):
    prospect = ProspectFactory(organisation=as_org_a)
    prospect.notes = "Propriétaire joignable le soir"
    services.prospect_update(prospect=prospect)
    prospect.status = ProspectStatus.NEGOCIATION
    refused(
        lambda: services.prospect_update(prospect=prospect),
        "L’étape d’une prospection change avec ses boutons d’étape.",
    )


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("contact", "visite"),
        ("visite", "negociation"),
        ("contact", "abandonne"),
        ("visite", "abandonne"),
        ("negociation", "abandonne"),
    ],
)
def test_allowed_transitions_leave_a_trace(as_org_a, regisseur, start, target):
    prospect = ProspectFactory(organisation=as_org_a, status=start)
    services.prospect_move(prospect=prospect, status=target, by=regisseur)
    prospect.refresh_from_db()
    assert prospect.status == target
    trace = ProspectTransition.objects.get(prospect=prospect)
    assert (trace.from_status, trace.to_status, trace.by) == (start, target, regisseur)


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        ("contact", "negociation", "« premier contact » ne peut pas passer à « négociation »"),
        ("visite", "contact", "« visite » ne peut pas passer à « premier contact »"),
        ("negociation", "visite", "« négociation » ne peut pas passer à « visite »"),
        ("abandonne", "contact", "Cette prospection est close (abandonné)"),
        ("abandonne", "abandonne", "Cette prospection est close (abandonné)"),
        ("negociation", "capte", "Un logement se capte avec le formulaire « Capter »"),
        ("contact", "signe", "Étape inconnue."),
    ],
)
def test_refused_transitions(as_org_a, regisseur, start, target, message):
    prospect = ProspectFactory(organisation=as_org_a, status=start)
    refused(lambda: services.prospect_move(prospect=prospect, status=target, by=regisseur), message)


def test_nothing_happens_after_capture(as_org_a, regisseur):
    unit = HousingUnitFactory(organisation=as_org_a)
    prospect = ProspectFactory(organisation=as_org_a, status=ProspectStatus.CAPTE, unit=unit)
    for target in ("abandonne", "negociation", "capte"):
        refused(
            lambda target=target: services.prospect_move(
                prospect=prospect, status=target, by=regisseur
            ),
            "Cette prospection est close (capté)",
        )


def capture_kwargs(dispositif, **overrides):
    return {
        "dispositif": dispositif,
        "reference": "LP-07",
        "captation_date": D(2024, 11, 15),
        "places": 2,
        "colocation": True,
        "sector": "Grand Chalon",
        "management_mode": ManagementMode.SOUS_LOCATION,
        "anah_convention": "sans_travaux",
        "energy_class": "D",
        "rent": Decimal("620.00"),
        "charges": Decimal("60.00"),
        "deposit": Decimal("620.00"),
        "guarantee": "visale",
        "guarantee_reference": "V-42",
        **overrides,
    }


def test_capture_creates_landlord_unit_and_lease_in_one_go(as_org_a, dispositif_a, regisseur):
    prospect = ProspectFactory(
        organisation=as_org_a,
        status=ProspectStatus.NEGOCIATION,
        landlord_name="Habellis",
        landlord_kind=LandlordKind.SOCIAL,
        contact="03 80 00 00 00",
        address="21 rue de Lyon",
        postcode="71100",
        city="Chalon-sur-Saône",
        typology=Typology.T3,
    )
    unit = services.prospect_capture(
        prospect=prospect, by=regisseur, **capture_kwargs(dispositif_a)
    )
    landlord = Landlord.objects.get(name="Habellis")
    assert (landlord.kind, landlord.contact_name) == (LandlordKind.SOCIAL, "03 80 00 00 00")
    assert (unit.address, unit.postcode, unit.city, unit.typology) == (
        "21 rue de Lyon",
        "71100",
        "Chalon-sur-Saône",
        Typology.T3,
    )
    assert (unit.parc, unit.landlord, unit.captation_date, unit.colocation) == (
        Parc.PUBLIC,
        landlord,
        D(2024, 11, 15),
        True,
    )
    assert (unit.rent, unit.anah_convention, unit.dispositif) == (
        Decimal("620.00"),
        "sans_travaux",
        dispositif_a,
    )
    lease = MainLease.objects.get(unit=unit)
    assert (lease.landlord, lease.start_date, lease.end_date, lease.rent, lease.guarantee) == (
        landlord,
        D(2024, 11, 15),
        None,
        Decimal("620.00"),
        "visale",
    )
    prospect.refresh_from_db()
    assert (prospect.status, prospect.unit, prospect.landlord) == ("capte", unit, landlord)
    trace = ProspectTransition.objects.get(prospect=prospect)
    assert (trace.from_status, trace.to_status, trace.by) == ("negociation", "capte", regisseur)


def test_capture_reuses_the_landlord_of_that_name(as_org_a, dispositif_a, regisseur):
    existing = LandlordFactory(organisation=as_org_a, name="M. Girard")
    prospect = ProspectFactory(
        organisation=as_org_a, status=ProspectStatus.NEGOCIATION, landlord_name="m. girard"
    )
    unit = services.prospect_capture(
        prospect=prospect, by=regisseur, **capture_kwargs(dispositif_a)
    )
    assert unit.landlord == existing and unit.parc == Parc.PRIVE
    assert Landlord.objects.count() == 1


def test_capture_with_a_registered_landlord(as_org_a, dispositif_a, regisseur):
    landlord = LandlordFactory(organisation=as_org_a, social=True)
    prospect = ProspectFactory(
        organisation=as_org_a,
        status=ProspectStatus.NEGOCIATION,
        landlord=landlord,
        landlord_name="",
    )
    unit = services.prospect_capture(
        prospect=prospect, by=regisseur, **capture_kwargs(dispositif_a)
    )
    assert unit.landlord == landlord and unit.parc == Parc.PUBLIC


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("contact", "Seule une prospection en négociation peut être captée"),
        ("visite", "Seule une prospection en négociation peut être captée"),
        ("abandonne", "Cette prospection est close (abandonné)"),
    ],
)
def test_capture_only_from_negotiation(as_org_a, dispositif_a, regisseur, status, message):
    prospect = ProspectFactory(organisation=as_org_a, status=status)
    refused(
        lambda: services.prospect_capture(
            prospect=prospect, by=regisseur, **capture_kwargs(dispositif_a)
        ),
        message,
    )


def test_a_failed_capture_writes_nothing(as_org_a, dispositif_a, regisseur):
    HousingUnitFactory(organisation=as_org_a, reference="LP-07")
    prospect = ProspectFactory(
        organisation=as_org_a, status=ProspectStatus.NEGOCIATION, landlord_name="Nouveau"
    )
    # The landlord would be created before the unit fails: it must be rolled back too.
    refused(
        lambda: services.prospect_capture(
            prospect=prospect, by=regisseur, **capture_kwargs(dispositif_a)
        ),
        "Un logement de l’organisation porte déjà cette référence.",
    )
    assert not Landlord.objects.filter(name="Nouveau").exists()


def test_capture_refuses_a_dispositif_of_another_organisation(
    as_org_a, org_b, dispositif_a, regisseur
):
    prospect = ProspectFactory(organisation=as_org_a, status=ProspectStatus.NEGOCIATION)
    foreign = DispositifFactory(organisation=org_b)
    refused(
        lambda: services.prospect_capture(
            prospect=prospect, by=regisseur, **capture_kwargs(foreign)
        ),
        "Dispositif inconnu.",
    )
