from __future__ import annotations

import datetime

import factory

from households.models import EmploymentRecord, Household, Person, ResourceRecord
from iml.codes import Employment, PersonRole, ProtectionStatus, Resource, Sex
from tests.factories import DispositifFactory, OrganisationOwnedFactory


class HouseholdFactory(OrganisationOwnedFactory):
    class Meta:
        model = Household

    dispositif = factory.SubFactory(
        DispositifFactory, organisation=factory.SelfAttribute("..organisation")
    )
    reference = factory.Sequence(lambda n: f"M-{n:04d}")
    siao_reference = factory.Sequence(lambda n: f"SIAO-{n:05d}")
    orientation_date = datetime.date(2025, 1, 10)
    orienting_structure = "CADA Le Pont Chalon-sur-Saône"

    class Params:
        present = factory.Trait(entry_date=datetime.date(2025, 3, 1))
        exited = factory.Trait(
            entry_date=datetime.date(2025, 3, 1),
            exit_date=datetime.date(2025, 12, 1),
            exit_destination="logement_social",
        )


class PersonFactory(OrganisationOwnedFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(
        HouseholdFactory, organisation=factory.SelfAttribute("..organisation")
    )
    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    sex = Sex.M
    birth_date = datetime.date(1990, 5, 17)
    role = PersonRole.REFERENT
    nationality = "AF"
    protection_status = ProtectionStatus.REFUGIE


class ResourceRecordFactory(OrganisationOwnedFactory):
    class Meta:
        model = ResourceRecord

    household = factory.SubFactory(
        HouseholdFactory, organisation=factory.SelfAttribute("..organisation")
    )
    date = datetime.date(2025, 3, 1)
    resources = factory.LazyFunction(lambda: [Resource.RSA])


class EmploymentRecordFactory(OrganisationOwnedFactory):
    class Meta:
        model = EmploymentRecord

    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))
    date = datetime.date(2025, 3, 1)
    employment = Employment.COURS_FRANCAIS
