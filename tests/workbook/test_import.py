"""Importing the workbook: what is written, idempotence, updates, isolation."""

import datetime
from decimal import Decimal

import pytest

from households.models import Household, HouseholdEvent, Person, ResourceRecord
from housing.models import HousingUnit, Landlord, Room
from iml.codes import LedgerKind
from iml.models import Dispositif, User
from iml.rls import organisation_transaction
from support.models import (
    Interaction,
    SupportAmendment,
    SupportContract,
    SupportObjective,
    Workshop,
)
from tenancy.models import Amendment, Instalment, LedgerEntry, RepaymentPlan, SubleaseContract
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.workbook.builders import STAFF_EMAIL, base_sheets, book, set_cell
from tests.workbook.helpers import changed, counts, created, errors_of, run, snapshot
from workbook.importer import ENTRY_COLUMNS

D = datetime.date


@pytest.fixture
def imported(org_a, staff_a, tmp_path):
    return run(org_a, tmp_path)


def test_everything_is_written(org_a, staff_a, members_a, tmp_path):
    analysis = run(org_a, tmp_path)
    assert created(analysis) == {
        "dispositifs": 1, "logements": 2, "chambres": 2, "menages": 4, "personnes": 5,
        "ressources": 2, "emplois": 1, "contrats": 2, "avenants": 2, "mouvements": 6,
        "plans_apurement": 1, "accompagnements": 1, "avenants_accompagnement": 1,
        "interactions": 3, "ateliers": 1, "demandes_logement": 2, "propositions": 3,
        "mesures": 2, "suivis_sortie": 2,
    }  # fmt: skip
    unit = HousingUnit.objects.get(reference="L1")
    assert unit.landlord.name == "M. Dupont" and unit.landlord.kind == "prive"
    assert Landlord.objects.get(name="OPAC 71").kind == "social"
    assert unit.rent == Decimal("500.00") and unit.captation_date == D(2023, 1, 1)
    room = Room.objects.get(reference="L2-B")
    assert room.unit.reference == "L2" and room.places == 2 and room.label == "L2-B"
    m2 = Household.objects.get(reference="M2")
    assert m2.exit_date == D(2024, 6, 1) and m2.exit_support == ["asll"] and m2.reinforced_support
    assert HouseholdEvent.objects.filter(household=m2).count() == 1
    chloe = Person.objects.get(ref="P3")
    assert chloe.search_name == "chloe martin" and chloe.nationality == "FR"
    assert ResourceRecord.objects.get(date=D(2023, 3, 1)).resources == [
        "prestations_familiales",
        "rsa",
    ]
    c2 = SubleaseContract.objects.get(reference="C2")
    assert c2.room.reference == "L2-A" and c2.actual_end_date == D(2024, 6, 1)
    amendments = list(Amendment.objects.filter(contract__reference="C1").order_by("number"))
    assert [(a.number, a.new_end_date, a.beyond_limit) for a in amendments] == [
        (1, D(2024, 3, 1), False),
        (2, D(2024, 12, 1), True),  # beyond 18 months of stay: flagged and justified
    ]
    assert amendments[1].justification
    entries = {e.ref: e for e in LedgerEntry.objects.all()}
    call = entries["E1"]
    assert (call.debit, call.rent_part, call.charges_part, call.period) == (
        Decimal("500.00"), Decimal("450.00"), Decimal("50.00"), D(2023, 3, 1),
    )  # fmt: skip
    assert entries["E2"].credit == Decimal("200.00") and entries["E2"].number == "2023-00001"
    assert entries["E4"].credit == Decimal("20.00") and entries["E4"].debit == 0
    assert entries["E5"].reverses == entries["E2"] and entries["E5"].debit == Decimal("200.00")
    plan = RepaymentPlan.objects.get(ref="PL1")
    assert plan.contract.reference == "C1" and plan.debt == Decimal("300.00")
    assert Instalment.objects.filter(plan=plan).count() == 6
    support = SupportContract.objects.get(ref="A1")
    # No referent column: none recorded, never a guess.
    assert support.referent is None and support.referent_email == ""
    assert sorted(SupportObjective.objects.values_list("domain", flat=True)) == [
        "budget",
        "logement",
    ]
    assert SupportAmendment.objects.get().new_end_date == D(2024, 3, 10)
    visits = list(Interaction.objects.filter(household__reference="M1").order_by("pk"))
    assert [v.notes for v in visits] == ["Première visite", "Deuxième passage"]
    assert list(visits[0].staff.values_list("email", flat=True)) == [STAFF_EMAIL]
    workshop = Workshop.objects.get(ref="W1")
    assert workshop.theme == "social"
    assert sorted(workshop.participants.values_list("ref", flat=True)) == ["P1", "P3"]


def test_entry_columns_follow_the_model():
    names = [f.attname for f in LedgerEntry._meta.concrete_fields if not f.primary_key]
    assert sorted(names) == sorted(ENTRY_COLUMNS)


def test_a_second_import_changes_nothing(imported, org_a, tmp_path):
    before = snapshot(org_a)
    again = run(org_a, tmp_path)
    assert changed(again) == 0
    assert all(sheet["unchanged"] > 0 for sheet in again.preview())
    assert snapshot(org_a) == before


def test_rows_are_matched_by_ref_and_updated(imported, org_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "menages", 4, "orienting_structure", "SIAO 71")  # M3
    set_cell(sheets, "personnes", 5, "first_name", "Daniel")  # P4
    set_cell(sheets, "logements", 3, "landlord", "Habellis")  # L2: a new landlord
    set_cell(sheets, "contrats", 2, "deposit", "500.00")
    set_cell(sheets, "interactions", 3, "notes", "Corrigé")  # 2nd visit of M1 on 15/03
    set_cell(sheets, "ateliers", 2, "participants", "P1")
    set_cell(sheets, "avenants", 3, "new_end_date", "2024-09-01")  # no longer beyond
    before = counts(org_a)
    analysis = run(org_a, tmp_path, sheets)
    updates = {sheet["sheet"]: sheet["update"] for sheet in analysis.preview()}
    assert updates == {
        "dispositifs": 0, "logements": 1, "chambres": 0, "menages": 1, "personnes": 1,
        "ressources": 0, "emplois": 0, "contrats": 1, "avenants": 1, "mouvements": 0,
        "plans_apurement": 0, "accompagnements": 0, "avenants_accompagnement": 0,
        "interactions": 1, "ateliers": 1, "demandes_logement": 0, "propositions": 0,
        "mesures": 0, "suivis_sortie": 0,
    }  # fmt: skip
    after = counts(org_a)
    assert after.pop("housing.Landlord") == before.pop("housing.Landlord") + 1
    assert after.pop("support.WorkshopParticipant") == before.pop("support.WorkshopParticipant") - 1
    assert after == before
    assert Household.objects.get(reference="M3").orienting_structure == "SIAO 71"
    assert Person.objects.get(ref="P4").search_name == "daniel diallo"
    assert HousingUnit.objects.get(reference="L2").landlord.name == "Habellis"
    notes = Interaction.objects.filter(household__reference="M1").order_by("pk")
    assert [i.notes for i in notes] == ["Première visite", "Corrigé"]
    assert not Amendment.objects.get(contract__reference="C1", number=2).beyond_limit


def test_absent_columns_keep_their_values(imported, org_a, tmp_path):
    sheets = {"menages": [[*row[:2], row[7]] for row in base_sheets()["menages"]]}
    analysis = run(org_a, tmp_path, sheets)  # ref, dispositif, entry_date only
    assert changed(analysis) == 0
    assert Household.objects.get(reference="M2").exit_destination == "logement_social"


def test_a_recorded_entry_is_never_changed(imported, org_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "mouvements", 3, "amount", "250.00")  # E2
    before = counts(org_a)
    errors = errors_of(org_a, tmp_path, sheets)
    assert errors == [
        "mouvements:3: amount: une écriture déjà importée ne se modifie pas : "
        "saisissez une annulation"
    ]
    assert counts(org_a) == before


def test_a_reversal_may_be_added_later(imported, org_a, tmp_path):
    sheets = base_sheets()
    sheets["mouvements"].append(["E7", "C1", "2023-04-02", "annulation", "500.00", "", "", "E1"])
    analysis = run(org_a, tmp_path, sheets)
    assert changed(analysis) == 1
    reversal = LedgerEntry.objects.get(ref="E7")
    assert reversal.reverses.ref == "E1" and reversal.credit == Decimal("500.00")
    assert reversal.period == D(2023, 3, 1)


def test_rows_recorded_in_the_application_are_matched_by_public_id(imported, org_a, tmp_path):
    """A row without ref (entered in the application) is exported with its public id as ref,
    and that ref matches it."""
    person = Person.objects.get(ref="P2")
    Person.objects.filter(pk=person.pk).update(ref="")
    sheets = base_sheets()
    set_cell(sheets, "personnes", 3, "ref", str(person.public_id))
    analysis = run(org_a, tmp_path, sheets)
    assert changed(analysis) == 0
    assert Person.objects.get(pk=person.pk).ref == ""


def test_isolation_from_another_organisation(org_a, org_b, staff_a, members_b, tmp_path):
    """Organisation B holds rows with the same refs: A's import creates A's own rows and
    leaves B's untouched."""
    with organisation_transaction(org_b):
        household = HouseholdFactory(organisation=org_b, reference="M1")
        PersonFactory(organisation=org_b, household=household, ref="P1")
    before_b = snapshot(org_b)
    analysis = run(org_a, tmp_path)
    assert created(analysis)["menages"] == 4 and created(analysis)["personnes"] == 5
    assert snapshot(org_b) == before_b
    assert Household.objects.get(reference="M1").organisation == org_a
    with organisation_transaction(org_b):
        assert Household.objects.get(reference="M1").pk == household.pk
        assert not Dispositif.objects.filter(code="IML-W").exists()


def test_regularisation_sign_and_kinds(imported):
    kinds = dict(LedgerEntry.objects.values_list("ref", "kind"))
    assert kinds == {
        "E1": LedgerKind.APPEL, "E2": LedgerKind.PAIEMENT, "E3": LedgerKind.APL,
        "E4": LedgerKind.REGULARISATION, "E5": LedgerKind.ANNULATION, "E6": LedgerKind.APPEL,
    }  # fmt: skip


def test_staff_named_by_e_mail_are_members_or_kept_as_written(org_a, members_a, tmp_path):
    """A referent or a staff e-mail of an active member is linked to them; any other is kept
    as written (no account, no access) and becomes theirs when that person joins."""
    from households.timeline import household_timeline
    from iml.models import Membership
    from iml.services import member_invite
    from support.models import Interaction

    head = members_a["head"].user
    sheets = base_sheets()
    sheets["accompagnements"] = [
        ["ref", "menage", "start_date", "end_date", "objectives", "referent"],
        ["A1", "M1", "2023-03-10", "2023-09-10", "budget", " Ancienne.Collegue@Exemple.fr "],
    ]
    sheets["interactions"] = [
        ["menage", "date", "type", "staff"],
        [
            "M1",
            "2023-04-01",
            "visite_domicile",
            f"{head.email.upper()};ancienne.collegue@exemple.fr",
        ],
    ]
    del sheets["avenants_accompagnement"]
    run(org_a, tmp_path, sheets)
    support = SupportContract.objects.get(ref="A1")
    assert (support.referent, support.referent_email) == (None, "ancienne.collegue@exemple.fr")
    assert support.referent_label == "ancienne.collegue@exemple.fr (hors équipe)"
    visit = Interaction.objects.get()
    assert list(visit.staff.all()) == [head]
    assert visit.staff_emails == ["ancienne.collegue@exemple.fr"]
    assert not User.objects.filter(email__iexact="ancienne.collegue@exemple.fr").exists()
    timeline = household_timeline(visit.household, with_notes=False)
    details = " ".join(item.detail for item in timeline)
    assert "ancienne.collegue@exemple.fr (hors équipe)" in details
    # A second import changes nothing.
    assert changed(run(org_a, tmp_path, sheets)) == 0
    # She joins the team: her history is hers.
    member_invite(organisation=org_a, email="ancienne.collegue@exemple.fr", first_name="Anne",
                  last_name="Colle", role="social_worker", invited_by=head)  # fmt: skip
    support.refresh_from_db()
    visit.refresh_from_db()
    joined = User.objects.get(email="ancienne.collegue@exemple.fr")
    assert (support.referent, support.referent_email) == (joined, "")
    assert set(visit.staff.all()) == {head, joined} and visit.staff_emails == []
    # Once she has left again, her name stays, marked as such.
    Membership.objects.filter(user=joined).update(is_active=False)
    details = " ".join(i.detail for i in household_timeline(visit.household, with_notes=False))
    assert "Anne Colle (ancien·ne membre)" in details
    # Re-imported now, the same workbook changes nothing.
    assert changed(run(org_a, tmp_path, sheets)) == 0


def test_a_bad_staff_e_mail_is_an_error(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    sheets["interactions"] = [
        ["menage", "date", "type", "staff"],
        ["M1", "2023-04-01", "visite_domicile", "Marie D."],
    ]
    errors = errors_of(org_a, tmp_path, sheets)
    assert "interactions:2: staff: « Marie D. » n’est pas une adresse e-mail" in errors


def test_an_unexpected_failure_writes_nothing(org_a, staff_a, tmp_path, monkeypatch):
    from workbook import importer

    def fail(self):
        self.simple("dispositifs", Dispositif)
        raise RuntimeError("boom")

    monkeypatch.setattr(importer.Writer, "write", fail)
    before = counts(org_a)
    with organisation_transaction(org_a), pytest.raises(RuntimeError):
        importer.import_workbook(book(tmp_path), org_a)
    assert counts(org_a) == before
