import pytest

from iml.models import Dispositif, Membership
from iml.scoping import NoCurrentOrganisation, organisation_context
from tests.factories import DispositifFactory


@pytest.mark.django_db
def test_default_manager_fails_closed_without_an_organisation(dispositif_a):
    with organisation_context(None):
        with pytest.raises(NoCurrentOrganisation):
            list(Dispositif.objects.all())
        with pytest.raises(NoCurrentOrganisation):
            Membership.objects.count()


@pytest.mark.django_db
def test_default_manager_sees_only_the_current_organisation(org_a, org_b):
    DispositifFactory(organisation=org_a, code="A1")
    DispositifFactory(organisation=org_b, code="B1")
    with organisation_context(org_a):
        assert list(Dispositif.objects.values_list("code", flat=True)) == ["A1"]
        assert not Dispositif.objects.filter(code="B1").exists()
    with organisation_context(org_b):
        assert list(Dispositif.objects.values_list("code", flat=True)) == ["B1"]
        # The explicitly named bypass of the manager still meets row-level security.
        assert list(Dispositif.all_organisations.values_list("code", flat=True)) == ["B1"]


@pytest.mark.django_db
def test_new_rows_take_the_current_organisation(org_a):
    with organisation_context(org_a):
        dispositif = Dispositif(code="NEW", name="Nouveau", category="classique", zone="tendue")
        dispositif.save()
    assert dispositif.organisation_id == org_a.pk


@pytest.mark.django_db
def test_saving_outside_any_organisation_is_refused(org_a):
    with organisation_context(None), pytest.raises(NoCurrentOrganisation):
        Dispositif(code="X", name="X", category="classique", zone="tendue").save()


@pytest.mark.django_db
def test_context_is_restored_after_the_block(org_a, org_b):
    with organisation_context(org_a):
        with organisation_context(org_b):
            pass
        assert not Dispositif.objects.filter(organisation=org_b).exists()
    with organisation_context(None), pytest.raises(NoCurrentOrganisation):
        Dispositif.objects.count()


@pytest.mark.django_db
def test_related_access_does_not_depend_on_the_context(social_worker_a):
    # Forward access uses the base manager: no scoping context needed.
    membership = Membership.all_organisations.get(pk=social_worker_a.pk)
    with organisation_context(None):
        assert membership.organisation.slug == "alpha"
