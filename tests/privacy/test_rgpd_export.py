"""The RGPD export (right of access) carries everything held on the household, table by
table, in JSON and PDF, and nothing of another household of the same organisation.

A new model that reaches a household through its foreign keys fails
``test_every_model_reaching_a_household_is_known`` until it is in
``privacy.paths.HOUSEHOLD_PATHS``, then ``test_the_export_carries_every_row_…`` until its
rows are in the export (or it is in ``EXPORT_LEFT_OUT`` with a reason).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.apps import apps
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from households.models import Household
from iml.models import Role
from privacy.names import NAME_REMOVED
from privacy.paths import (
    EXPORT_LEFT_OUT,
    HOUSEHOLD_PATHS,
    history_models,
    household_history,
    household_rows,
)
from privacy.retention import anonymise
from tenancy.models import ANONYMISED_TEXT, Incident
from tests.privacy.test_retention_everywhere import build_household, team

B_NAMES = ["Bêta-Brun", "Bérénice", "Basile", "beta-brun", "berenice"]


def reaching_models() -> set:
    """Every model with a foreign key to a household, or to a row that has one, and so on."""
    reached = {Household}
    grown = True
    while grown:
        grown = False
        for model in apps.get_models(include_auto_created=True):
            if model not in reached and any(
                field.concrete
                and (field.many_to_one or field.one_to_one)
                and field.related_model in reached
                for field in model._meta.get_fields()
            ):
                reached.add(model)
                grown = True
    return reached


def test_every_model_reaching_a_household_is_known():
    history = {model for model in history_models() if model.pgh_tracked_model in HOUSEHOLD_PATHS}
    unknown = sorted(
        model._meta.label for model in reaching_models() - set(HOUSEHOLD_PATHS) - history
    )
    assert not unknown, (
        f"Models holding a household's data, missing from privacy.paths.HOUSEHOLD_PATHS "
        f"(export and anonymisation): {unknown}"
    )
    assert set(EXPORT_LEFT_OUT) <= set(HOUSEHOLD_PATHS)
    assert all(reason.strip() for reason in EXPORT_LEFT_OUT.values())


@pytest.fixture
def two_households(org_a, dispositif_a):
    """A and B, of the same organisation, each with a row in every table; B's adult takes part
    in A's workshop and is named in an incident of A's home during A's stay."""
    users = team(org_a, "alpha")
    with freeze_time("2024-02-01"):
        a = build_household(org_a, dispositif_a, users, reference="A-1")
        b = build_household(
            org_a, dispositif_a, users, reference="BETA-REF-1", last_name="Bêta-Brun",
            adult="Bérénice", child="Basile", workshop=a.workshop,
            neighbour_unit=a.contract.unit,
        )  # fmt: skip
    return a, b, users


def strings(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(strings(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings(item) for item in value)) if value else set()
    return {str(value)}


def squeezed(text: str) -> str:
    """Without any white space: a PDF's lines break anywhere."""
    return re.sub(r"\s+", "", text)


def test_the_export_carries_every_row_of_the_household_and_nothing_of_another(
    client, two_households
):
    a, b, users = two_households
    client.force_login(users[Role.HEAD])
    response = client.get(reverse("privacy:household_export_json", args=[a.household.public_id]))
    data = json.loads(response.content)
    dump = json.dumps(data, ensure_ascii=False)
    found = strings(data)

    # Table by table: every row of A is in it, by its public identifier.
    for model in HOUSEHOLD_PATHS:
        rows = {
            str(pk) for pk in household_rows(model, a.household).values_list("public_id", flat=True)
        }
        assert rows, f"the fixture has no row of {model.__name__}: add one to build_household"
        if model not in EXPORT_LEFT_OUT:
            assert rows <= found, f"{model.__name__}: rows missing from the export"
        others = {
            str(pk) for pk in household_rows(model, b.household).values_list("public_id", flat=True)
        }
        assert others and not others & found, f"{model.__name__}: B's rows in A's export"
    # The incidents of A's home during its stay, B's complaint included without B's name.
    incidents = Incident.objects.filter(unit=a.contract.unit)
    assert {str(i.public_id) for i in incidents} <= found
    # The history of every tracked row of A, change by change.
    for event_model in history_models():
        tracked = event_model.pgh_tracked_model
        if tracked not in HOUSEHOLD_PATHS:
            continue
        expected = household_history(event_model, a.household).count()
        assert expected, f"the fixture has no history of {tracked.__name__}"
        shown = [e for e in data["history"] if e["object"] == str(tracked._meta.verbose_name)]
        assert len(shown) == expected, f"{tracked.__name__}: history rows missing"
    # What a user typed about A, table by table: all there.
    for key, text in a.texts.items():
        assert text in dump, f"{key}: « {text} » missing from the JSON export"
    assert data["contracts"][0]["balance"] and data["contracts"][0]["ledger"]
    # Nothing of B: no name, no reference, no home.
    lowered = dump.lower()
    for name in [*B_NAMES, "BETA-REF-1", b.contract.reference, b.contract.unit.reference]:
        assert name.lower() not in lowered, f"« {name} » (household B) in A's export"
    assert f"plainte de {NAME_REMOVED}" in dump and f"{a.texts['workshop']} et {NAME_REMOVED}" in (
        dump
    )

    response = client.get(reverse("privacy:household_export_pdf", args=[a.household.public_id]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = squeezed(text)
    for heading in [
        "Ménage", "Personnes", "Ressources", "Parcours", "Contrats de sous-location",
        f"Compte du contrat {a.contract.reference}", "Plan d’apurement", "État des lieux d’entrée",
        "Incidents techniques du logement", "Accompagnement social", "Échanges et notes",
        "Orientations vers des partenaires", "Ateliers collectifs", "Alertes de suivi",
        "Historique des modifications", "Consultations de la fiche",
    ]:  # fmt: skip
        assert squeezed(heading) in flat, f"section « {heading} » missing from the PDF"
    for key, typed in a.texts.items():
        assert squeezed(typed) in flat, f"{key}: « {typed} » missing from the PDF"
    for name in [*B_NAMES, "BETA-REF-1", b.contract.reference]:
        assert squeezed(name).lower() not in flat.lower(), f"« {name} » in A's PDF"


def test_the_export_of_an_anonymised_household_shows_the_markers(client, two_households):
    a, _, users = two_households
    anonymise(a.household)
    client.force_login(users[Role.HEAD])
    response = client.get(reverse("privacy:household_export_json", args=[a.household.public_id]))
    data = json.loads(response.content)
    dump = json.dumps(data, ensure_ascii=False).lower()
    assert "zébulon" not in dump and "zéphyrine" not in dump
    assert data["household"]["anonymised_at"]
    assert {p["last_name"] for p in data["persons"]} == {"Anonyme"}
    assert data["interactions"][0]["notes"] == ANONYMISED_TEXT
    assert data["history"] == []
