"""A logged interaction corrected by its author for a week, deleted by a head (or its author
within the week); what it said before stays in its history."""

import datetime

import pytest
from django.apps import apps
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import InteractionType, SupportDomain
from iml.models import Role
from support.interactions import interaction_log
from support.models import Interaction
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(org_a, dispositif_a, social_worker_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True,
                                 orientation_date=datetime.date(2025, 1, 2))  # fmt: skip
    with freeze_time("2025-06-02 09:00"):
        return interaction_log(
            household=household, date=datetime.date(2025, 6, 2),
            kind=InteractionType.VISITE_DOMICILE, domains=[SupportDomain.LOGEMENT],
            notes="Logement bien entretnu.", by=social_worker_a.user,
        )  # fmt: skip


def _post(interaction, notes):
    return {
        "date": "2025-06-02", "kind": InteractionType.VISITE_DOMICILE,
        "domains": [SupportDomain.LOGEMENT], "notes": notes,
    }  # fmt: skip


def test_its_author_corrects_it_within_a_week_and_the_history_keeps_the_old_text(
    logged, client, social_worker_a
):
    url = reverse("support:interaction_edit", args=[logged.public_id])
    login(client, social_worker_a)
    with freeze_time("2025-06-05 10:00"):
        timeline = client.get(
            reverse("support:household_timeline", args=[logged.household.public_id])
        )
        assert "Corriger ou supprimer" in timeline.content.decode()
        assert "entretnu" in client.get(url).content.decode()
        response = client.post(url, _post(logged, "Logement bien entretenu."))
    assert response.status_code == 302
    logged.refresh_from_db()
    assert logged.notes == "Logement bien entretenu."
    texts = list(logged.history.order_by("pgh_id").values_list("notes", flat=True))
    assert texts[0] == "Logement bien entretnu." and texts[-1] == "Logement bien entretenu."


def test_after_a_week_its_author_can_no_longer_change_it(logged, client, social_worker_a):
    url = reverse("support:interaction_edit", args=[logged.public_id])
    login(client, social_worker_a)
    with freeze_time("2025-06-10 10:00"):
        assert client.get(url).status_code == 403
        assert client.post(url, _post(logged, "Réécrit")).status_code == 403
        timeline = client.get(
            reverse("support:household_timeline", args=[logged.household.public_id])
        )
        assert "Corriger ou supprimer" not in timeline.content.decode()
    logged.refresh_from_db()
    assert logged.notes == "Logement bien entretnu."


def test_a_colleague_cannot_change_it(logged, client, org_a):
    colleague = MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER)
    login(client, colleague)
    with freeze_time("2025-06-03 10:00"):
        url = reverse("support:interaction_edit", args=[logged.public_id])
        assert client.get(url).status_code == 403
        remove = reverse("support:interaction_remove", args=[logged.public_id])
        assert client.post(remove).status_code == 403
    assert Interaction.objects.filter(pk=logged.pk).exists()


def test_a_head_deletes_it_at_any_time(logged, client, head_a):
    login(client, head_a)
    with freeze_time("2026-01-15 10:00"):
        page = client.get(reverse("support:interaction_edit", args=[logged.public_id]))
        body = page.content.decode()
        assert "Supprimer cet échange" in body and "Enregistrer la correction" not in body
        response = client.post(reverse("support:interaction_remove", args=[logged.public_id]))
    assert response.status_code == 302
    assert not Interaction.objects.filter(pk=logged.pk).exists()
    # What it said stays in its history, its deletion among it.
    history = apps.get_model("support", "InteractionHistory").objects.filter(pgh_obj_id=logged.pk)
    assert history.filter(notes="Logement bien entretnu.").exists()
    assert history.filter(pgh_label="delete").exists()
