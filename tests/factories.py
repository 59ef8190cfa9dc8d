"""factory-boy factories for every model; organisation-owned ones bypass the scoped manager."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from iml.models import Dispositif, DispositifCategory, Membership, Organisation, Role, User, Zone
from iml.rls import organisation_transaction

TEST_PASSWORD = "mot-de-passe-de-test-1"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Association {n}")
    slug = factory.Sequence(lambda n: f"association-{n}")
    departement = "71"


class OrganisationOwnedFactory(DjangoModelFactory):
    """Creates rows through ``all_organisations``: factories run outside any request."""

    class Meta:
        abstract = True

    organisation = factory.SubFactory(OrganisationFactory)

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.all_organisations

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Written as its organisation: row-level security checks every insert.
        with organisation_transaction(kwargs["organisation"]):
            return super()._create(model_class, *args, **kwargs)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password(TEST_PASSWORD)


class DispositifFactory(OrganisationOwnedFactory):
    class Meta:
        model = Dispositif

    code = factory.Sequence(lambda n: f"IML-{n}")
    name = factory.Sequence(lambda n: f"IML classique {n}")
    category = DispositifCategory.CLASSIQUE
    zone = Zone.DETENDUE
    places = 12


class MembershipFactory(OrganisationOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.SOCIAL_WORKER

    class Params:
        admin = factory.Trait(role=Role.ADMIN)
        head = factory.Trait(role=Role.HEAD)
        regisseur = factory.Trait(role=Role.REGISSEUR)
