import datetime

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from households import services
from households.models import EventKind, Household, HouseholdStatus, Person, ResourceRecord
from households.services import PersonData
from iml.codes import ExitDestination, PersonRole, Resource, Sex, WithdrawalReason
from iml.scoping import organisation_context
from tests.households.factories import HouseholdFactory, PersonFactory

D = datetime.date


def adult(role=PersonRole.REFERENT, **kwargs) -> PersonData:
    values = {
        "last_name": "Ahmadi",
        "first_name": "Nasir",
        "sex": Sex.M,
        "birth_date": D(1992, 4, 2),
        "role": role,
        "nationality": "AF",
        "protection_status": "refugie",
    }
    values.update(kwargs)
    return PersonData(**values)


@pytest.fixture
def ctx(org_a, social_worker_a, dispositif_a):
    with organisation_context(org_a):
        yield {"by": social_worker_a.user, "dispositif": dispositif_a, "org": org_a}


@pytest.fixture
def waiting(ctx):
    return services.household_orient(
        dispositif=ctx["dispositif"],
        reference="M-1",
        orientation_date=D(2026, 1, 5),
        reference_person=adult(),
        by=ctx["by"],
    )


@pytest.fixture
def present(ctx, waiting):
    return services.household_admit(household=waiting, entry_date=D(2026, 2, 1), by=ctx["by"])


def events(household):
    return list(household.events.order_by("recorded_at", "pk").values_list("kind", flat=True))


@pytest.mark.django_db
class TestOrientation:
    def test_orientation_puts_the_household_on_the_waiting_list(self, ctx, waiting):
        assert waiting.status == HouseholdStatus.ORIENTED
        assert waiting.persons.get().role == PersonRole.REFERENT
        assert events(waiting) == [EventKind.ORIENTED]
        assert waiting.organisation == ctx["org"]

    def test_future_orientation_is_refused(self, ctx):
        with pytest.raises(ValidationError, match="futur"):
            services.household_orient(
                dispositif=ctx["dispositif"],
                reference="M-2",
                orientation_date=D(2999, 1, 1),
                reference_person=adult(),
                by=ctx["by"],
            )
        assert not Household.objects.exists()

    def test_duplicate_reference_is_refused_and_writes_nothing(self, ctx, waiting):
        with pytest.raises(ValidationError, match="porte déjà cette référence"):
            services.household_orient(
                dispositif=ctx["dispositif"],
                reference="M-1",
                orientation_date=D(2026, 1, 6),
                reference_person=adult(),
                by=ctx["by"],
            )
        assert Household.objects.count() == 1 and Person.objects.count() == 1


@pytest.mark.django_db
class TestWithdrawal:
    def test_withdraw_with_reason(self, ctx, waiting):
        services.household_withdraw(
            household=waiting,
            withdrawal_date=D(2026, 3, 1),
            reason=WithdrawalReason.REORIENTATION,
            by=ctx["by"],
        )
        waiting.refresh_from_db()
        assert waiting.status == HouseholdStatus.WITHDRAWN
        assert events(waiting)[-1] == EventKind.WITHDRAWN

    def test_a_present_household_cannot_be_withdrawn(self, ctx, present):
        with pytest.raises(ValidationError, match="retirer"):
            services.household_withdraw(
                household=present,
                withdrawal_date=D(2026, 3, 1),
                reason=WithdrawalReason.AUTRE,
                by=ctx["by"],
            )

    def test_withdrawal_before_orientation_is_refused(self, ctx, waiting):
        with pytest.raises(ValidationError, match="précéder l’orientation"):
            services.household_withdraw(
                household=waiting,
                withdrawal_date=D(2025, 12, 1),
                reason=WithdrawalReason.AUTRE,
                by=ctx["by"],
            )

    def test_a_withdrawn_household_cannot_be_admitted(self, ctx, waiting):
        services.household_withdraw(
            household=waiting,
            withdrawal_date=D(2026, 3, 1),
            reason=WithdrawalReason.SANS_NOUVELLES,
            by=ctx["by"],
        )
        with pytest.raises(ValidationError, match="admettre"):
            services.household_admit(household=waiting, entry_date=D(2026, 3, 2), by=ctx["by"])


@pytest.mark.django_db
class TestAdmission:
    def test_admit(self, ctx, present):
        assert present.status == HouseholdStatus.PRESENT
        assert events(present) == [EventKind.ORIENTED, EventKind.ADMITTED]

    def test_entry_before_orientation_is_refused(self, ctx, waiting):
        with pytest.raises(ValidationError, match="précéder l’orientation"):
            services.household_admit(household=waiting, entry_date=D(2025, 1, 1), by=ctx["by"])
        waiting.refresh_from_db()
        assert waiting.entry_date is None

    def test_admitting_twice_is_refused(self, ctx, present):
        with pytest.raises(ValidationError, match="présent"):
            services.household_admit(household=present, entry_date=D(2026, 2, 2), by=ctx["by"])

    def test_admission_rolls_back_with_the_enclosing_transaction(self, ctx, waiting):
        """The tenancy app wraps admission with the contract: both or neither."""
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            services.household_admit(household=waiting, entry_date=D(2026, 2, 1), by=ctx["by"])
            raise RuntimeError("the contract could not be created")
        waiting.refresh_from_db()
        assert waiting.entry_date is None
        assert events(waiting) == [EventKind.ORIENTED]


@pytest.mark.django_db
class TestPersons:
    def test_composition_before_entry_has_no_dates(self, ctx, waiting):
        child = services.person_add(
            household=waiting,
            data=adult(PersonRole.ENFANT, first_name="Sara", birth_date=D(2020, 1, 1)),
            joined_date=D(2026, 1, 20),
            by=ctx["by"],
        )
        assert child.joined_date is None

    def test_birth_during_the_stay_is_an_arrival(self, ctx, present):
        baby = services.person_add(
            household=present,
            data=adult(PersonRole.ENFANT, first_name="Lina", birth_date=D(2026, 4, 2)),
            joined_date=D(2026, 4, 2),
            by=ctx["by"],
        )
        assert baby.joined_date == D(2026, 4, 2)
        assert events(present)[-1] == EventKind.PERSON_JOINED

    def test_arrival_during_the_stay_needs_a_date_after_entry(self, ctx, present):
        with pytest.raises(ValidationError, match="indiquez la date"):
            services.person_add(household=present, data=adult(PersonRole.CONJOINT), by=ctx["by"])
        with pytest.raises(ValidationError, match="précéder l’entrée"):
            services.person_add(
                household=present,
                data=adult(PersonRole.CONJOINT),
                joined_date=D(2026, 1, 1),
                by=ctx["by"],
            )
        assert present.persons.count() == 1

    def test_a_second_reference_person_is_refused(self, ctx, waiting):
        with pytest.raises(ValidationError, match="déjà une personne de référence"):
            services.person_add(household=waiting, data=adult(), by=ctx["by"])

    def test_a_person_leaves_and_cannot_leave_twice(self, ctx, present):
        partner = services.person_add(
            household=present,
            data=adult(PersonRole.CONJOINT, first_name="Zahra", sex=Sex.F),
            joined_date=D(2026, 3, 1),
            by=ctx["by"],
        )
        services.person_leave(person=partner, left_date=D(2026, 5, 1), by=ctx["by"])
        partner.refresh_from_db()
        assert partner.left_date == D(2026, 5, 1)
        with pytest.raises(ValidationError, match="déjà enregistré"):
            services.person_leave(person=partner, left_date=D(2026, 6, 1), by=ctx["by"])

    def test_leaving_before_arriving_is_refused(self, ctx, present):
        partner = services.person_add(
            household=present,
            data=adult(PersonRole.CONJOINT, first_name="Zahra", sex=Sex.F),
            joined_date=D(2026, 3, 1),
            by=ctx["by"],
        )
        with pytest.raises(ValidationError, match="doit suivre l’arrivée"):
            services.person_leave(person=partner, left_date=D(2026, 2, 15), by=ctx["by"])

    def test_the_last_person_cannot_leave_alone(self, ctx, present):
        with pytest.raises(ValidationError, match="dernière personne"):
            services.person_leave(
                person=present.persons.get(), left_date=D(2026, 5, 1), by=ctx["by"]
            )

    def test_update_identity_is_traced(self, ctx, waiting):
        person = waiting.persons.get()
        services.person_update(
            person=person, data=adult(first_name="Nassir", last_name="Ahmadi"), by=ctx["by"]
        )
        person.refresh_from_db()
        assert person.first_name == "Nassir" and person.search_name == "nassir ahmadi"
        assert events(waiting)[-1] == EventKind.UPDATED


@pytest.mark.django_db
class TestExit:
    def test_exit_with_destination_and_support(self, ctx, present):
        services.household_exit(
            household=present,
            exit_date=D(2026, 8, 1),
            destination=ExitDestination.LOGEMENT_SOCIAL,
            bail_glissant=True,
            exit_support=["agir", "asll", "agir"],
            by=ctx["by"],
        )
        present.refresh_from_db()
        assert present.status == HouseholdStatus.EXITED
        assert present.exit_support == ["agir", "asll"] and present.bail_glissant

    def test_exit_before_entry_is_refused(self, ctx, present):
        with pytest.raises(ValidationError, match="précéder l’entrée"):
            services.household_exit(
                household=present,
                exit_date=D(2026, 1, 31),
                destination=ExitDestination.TIERS,
                by=ctx["by"],
            )
        present.refresh_from_db()
        assert present.exit_date is None

    def test_a_household_cannot_exit_twice(self, ctx, present):
        services.household_exit(
            household=present,
            exit_date=D(2026, 8, 1),
            destination=ExitDestination.TIERS,
            by=ctx["by"],
        )
        with pytest.raises(ValidationError, match="déjà enregistrée"):
            services.household_exit(
                household=present,
                exit_date=D(2026, 9, 1),
                destination=ExitDestination.TIERS,
                by=ctx["by"],
            )

    def test_bail_glissant_needs_autonomous_housing(self, ctx, present):
        with pytest.raises(ValidationError, match="logement autonome"):
            services.household_exit(
                household=present,
                exit_date=D(2026, 8, 1),
                destination=ExitDestination.TIERS,
                bail_glissant=True,
                by=ctx["by"],
            )

    def test_a_waiting_household_cannot_exit(self, ctx, waiting):
        with pytest.raises(ValidationError, match="sortie"):
            services.household_exit(
                household=waiting,
                exit_date=D(2026, 8, 1),
                destination=ExitDestination.TIERS,
                by=ctx["by"],
            )

    @freeze_time("2026-06-01")
    def test_future_exit_is_refused(self, ctx, present):
        with pytest.raises(ValidationError, match="futur"):
            services.household_exit(
                household=present,
                exit_date=D(2026, 6, 2),
                destination=ExitDestination.TIERS,
                by=ctx["by"],
            )


@pytest.mark.django_db
class TestResourcesAndEmployment:
    def test_resources_are_stored_sorted(self, ctx, present):
        record = services.resources_record(
            household=present,
            day=D(2026, 3, 1),
            resources=["rsa", "prestations_familiales", "rsa"],
            by=ctx["by"],
        )
        assert record.resources == ["prestations_familiales", "rsa"]

    def test_none_cannot_be_combined(self, ctx, present):
        with pytest.raises(ValidationError, match="Sans ressources"):
            services.resources_record(
                household=present,
                day=D(2026, 3, 1),
                resources=[Resource.AUCUNE, Resource.RSA],
                by=ctx["by"],
            )
        assert not ResourceRecord.objects.exists()

    def test_employment_is_for_adults(self, ctx, present):
        child = PersonFactory(organisation=ctx["org"], household=present, role=PersonRole.ENFANT)
        with pytest.raises(ValidationError, match="adultes"):
            services.employment_record(
                person=child, day=D(2026, 3, 1), employment="etudes", by=ctx["by"]
            )
        record = services.employment_record(
            person=present.persons.get(role=PersonRole.REFERENT),
            day=D(2026, 3, 1),
            employment="cours_francais",
            by=ctx["by"],
        )
        assert record.get_employment_display() == "en cours de français"


@pytest.mark.django_db
def test_persons_present_at_a_date_follow_their_own_dates(org_a):
    household = HouseholdFactory(
        organisation=org_a, entry_date=D(2025, 3, 1), exit_date=D(2025, 12, 1),
        exit_destination="tiers",
    )  # fmt: skip
    always = PersonFactory(organisation=org_a, household=household)
    born = PersonFactory(
        organisation=org_a, household=household, role="enfant", birth_date=D(2025, 6, 1),
        joined_date=D(2025, 6, 1),
    )  # fmt: skip
    left = PersonFactory(
        organisation=org_a, household=household, role="conjoint", left_date=D(2025, 9, 1)
    )
    with organisation_context(org_a):

        def at(day):
            return set(Person.objects.filter(household=household).present_at(day))

        assert at(D(2025, 2, 28)) == set()
        assert at(D(2025, 3, 1)) == {always, left}
        assert at(D(2025, 6, 1)) == {always, left, born}
        assert at(D(2025, 9, 1)) == {always, born}  # the left date is the first day out
        assert at(D(2025, 12, 1)) == set()


def test_age_in_completed_years_with_29_february():
    person = Person(birth_date=D(2008, 2, 29))
    assert person.age_at(D(2026, 2, 28)) == 17
    assert person.age_at(D(2026, 3, 1)) == 18


@pytest.mark.django_db
def test_orientation_with_the_whole_composition(ctx):
    household = services.household_orient(
        dispositif=ctx["dispositif"],
        reference="M-9",
        orientation_date=D(2026, 1, 5),
        reference_person=adult(),
        others=[adult(PersonRole.CONJOINT, first_name="Zahra", sex=Sex.F)],
        by=ctx["by"],
    )
    assert household.persons.count() == 2
    assert events(household) == [EventKind.ORIENTED, EventKind.PERSON_ADDED]
    assert set(household.events.values_list("date", flat=True)) == {D(2026, 1, 5)}
    with pytest.raises(ValidationError, match="déjà une personne de référence"):
        services.household_orient(
            dispositif=ctx["dispositif"],
            reference="M-10",
            orientation_date=D(2026, 1, 5),
            reference_person=adult(),
            others=[adult()],
            by=ctx["by"],
        )
    assert not Household.objects.filter(reference="M-10").exists()
