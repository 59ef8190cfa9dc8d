"""The report page, its forms, the versions (downloads, progress fragment) and the
drill-down: heads only, another organisation's versions 404, bounded queries."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse
from freezegun import freeze_time

from iml.models import Role
from reporting import compute, drilldown, services
from reporting.models import ReportNarrative, ReportStatus, ReportVersion
from tests.conftest import login
from tests.factories import DispositifFactory
from tests.households.factories import HouseholdFactory
from tests.reporting.example_figures import example_figures, patch_compute
from tests.reporting.test_outputs import pdf_text

D = datetime.date
PAGE = reverse("reporting:report_page")
QUERY = {"du": "2023-11-01", "au": "2024-10-31"}


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2024-12-05 10:00:00"):
        yield


@pytest.fixture
def computed(monkeypatch):
    return patch_compute(monkeypatch, previous_households=11)


@pytest.fixture
def dispositif(org_a, dispositif_a):
    dispositif_a.report_start_month = 11
    dispositif_a.save()
    return dispositif_a


@pytest.fixture
def head(client, members_a):
    login(client, members_a[Role.HEAD])
    return members_a[Role.HEAD].user


def ready_version(dispositif, user, **fields) -> ReportVersion:
    figures = {**example_figures(), "dispositif": dispositif.code}
    values = {
        "dispositif": dispositif,
        "start": D(2023, 11, 1),
        "end": D(2024, 10, 31),
        "status": ReportStatus.READY,
        "progress": 100,
        "figures": figures,
        "narrative": {"mission": "Texte figé"},
        "pdf": b"%PDF-1.4 fake",
        "xlsx": b"PK fake",
        "gaps": 7,
        "created_by": user,
        **fields,
    }
    return ReportVersion.objects.create(**values)


def version_urls(version) -> list[str]:
    kwargs = {"version": version.public_id}
    return [
        reverse(f"reporting:{name}", kwargs=kwargs)
        for name in ("version_pdf", "version_xlsx", "version_json", "version_progress")
    ]


# --- Roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SOCIAL_WORKER, Role.REGISSEUR])
def test_only_heads_see_the_report(client, members_a, dispositif, computed, role):
    version = ready_version(dispositif, members_a[Role.HEAD].user)
    login(client, members_a[role])
    for url in [PAGE, reverse("reporting:drilldown"), *version_urls(version)]:
        assert client.get(url).status_code == 403, url
    for name in ("narrative_save", "report_generate"):
        assert client.post(reverse(f"reporting:{name}")).status_code == 403
    assert computed == []


def test_heads_see_the_report(client, head, dispositif, computed):
    assert client.get(PAGE).status_code == 200


def test_anonymous_visitors_go_to_the_login(client, dispositif):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_organisation_gets_404_on_every_version_url(
    client, members_a, members_b, dispositif
):
    version = ready_version(dispositif, members_a[Role.HEAD].user)
    login(client, members_b[Role.HEAD])
    for url in version_urls(version):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Dispositif Alpha" not in response.content
        assert client.post(url).status_code == 404


# --- The page -------------------------------------------------------------------------------


def test_page_defaults_to_the_first_active_dispositif_and_its_last_period(
    client, head, org_a, dispositif, computed
):
    DispositifFactory(organisation=org_a, code="AAA-CLOSED", is_active=False)
    response = client.get(PAGE)
    assert response.context["dispositif"] == dispositif
    # The period, then the same period a year earlier (N-1).
    assert computed == [
        (dispositif.pk, D(2023, 11, 1), D(2024, 10, 31)),
        (dispositif.pk, D(2022, 11, 1), D(2023, 10, 31)),
    ]
    body = response.content.decode()
    assert 'name="du" value="2023-11-01"' in body and 'name="au" value="2024-10-31"' in body


def test_page_shows_quality_first_then_narrative_then_sections(client, head, dispositif, computed):
    body = client.get(PAGE, {"dispositif": dispositif.public_id, **QUERY}).content.decode()
    order = [
        body.index('id="qualite-title"'),
        body.index('id="recit-title"'),
        body.index("3. Orientations"),
        body.index("7. Sorties de la période"),
        body.index("11. Financement"),
        body.index('id="versions-title"'),
    ]
    assert order == sorted(order)
    assert "7 lacunes restantes" in body
    # The quality panel: reporting.quality's checks, computed on the page's figures.
    assert "Tous les contrôles de cohérence sont respectés." in body
    assert "Période précédente" in body
    assert "61\u202f234,56\u00a0€" in body  # money in French
    # The figures are links to the households behind them.
    assert "/rapport/detail/?dispositif=" in body


def test_page_shows_the_previous_period_beside_each_figure(client, head, dispositif, computed):
    response = client.get(PAGE, {"dispositif": dispositif.public_id, **QUERY})
    # The sections come in two parts, around the narrative's form (« 2. »).
    sections = {
        s.key: s for context in response.context if "sections" in context
        for s in context["sections"]
    }  # fmt: skip
    summary = next(t for t in sections["present-at-end"].tables if t.key.endswith("summary"))
    households = summary.rows[0]
    assert (households.cells[0].value, households.previous.value) == (17, 11)
    assert "du 01/11/2022 au 31/10/2023" in response.content.decode()


def test_page_lists_the_gaps_with_a_link_to_fix_them(client, head, org_a, dispositif, computed):
    household = HouseholdFactory(
        organisation=org_a,
        dispositif=dispositif,
        reference="M-GAP",
        orientation_date=D(2023, 12, 1),
        entry_date=D(2024, 1, 10),
        exit_date=D(2024, 6, 1),
        exit_destination="",
    )
    body = client.get(PAGE, {"dispositif": dispositif.public_id, **QUERY}).content.decode()
    assert household.get_absolute_url() in body
    assert "destination de sortie non renseignée" in body


@pytest.mark.parametrize(
    "query",
    [
        {"du": "pas une date", "au": "2024-10-31"},
        {"du": "2024-10-31", "au": "2023-11-01"},
        {"du": "1900-01-01", "au": "1900-12-31"},
        {"dispositif": "0f5c1d3e-0000-4000-8000-000000000000"},
        {"dispositif": "\x00<script>"},
    ],
)
def test_bad_selection_is_explained_and_computes_nothing(client, head, dispositif, computed, query):
    response = client.get(PAGE, query)
    assert response.status_code == 200
    assert response.context["selection"].errors
    assert computed == []


def test_another_organisations_dispositif_cannot_be_chosen(
    client, head, org_b, dispositif, computed
):
    other = DispositifFactory(organisation=org_b, code="IML-B", name="Dispositif Bêta")
    response = client.get(PAGE, {"dispositif": other.public_id, **QUERY})
    assert "Choisissez un dispositif de la liste." in response.content.decode()
    assert "Dispositif Bêta" not in response.content.decode()
    assert computed == []


def test_page_without_dispositif_says_what_to_do(client, head, org_a):
    body = client.get(PAGE).content.decode()
    assert "Aucun dispositif n’existe encore" in body


def test_page_query_count_does_not_grow_with_versions(
    client, head, dispositif, computed, django_assert_max_num_queries
):
    query = {"dispositif": dispositif.public_id, **QUERY}
    client.get(PAGE, query)  # warm-up (sessions, second factor)
    for count in (2, 12):
        while ReportVersion.objects.count() < count:
            ready_version(dispositif, head)
        with django_assert_max_num_queries(30):
            assert client.get(PAGE, query).status_code == 200


# --- Narrative ------------------------------------------------------------------------------


def test_narrative_is_saved_and_shown_again(client, head, dispositif, computed):
    data = {
        "dispositif": dispositif.public_id,
        **QUERY,
        "mission": "Loger les BPI.",
        "highlights": "",
        "difficulties": "Peu de T1.",
        "perspectives": "",
        "staff_etp": "0.70",
    }
    response = client.post(reverse("reporting:narrative_save"), data)
    assert response.status_code == 302 and response["Location"].endswith("#recit")
    narrative = ReportNarrative.objects.get()
    assert (narrative.mission, narrative.staff_etp, narrative.updated_by) == (
        "Loger les BPI.",
        narrative.staff_etp,
        head,
    )
    assert str(narrative.staff_etp) == "0.70"
    body = client.get(response["Location"]).content.decode()
    assert "Loger les BPI." in body and "Peu de T1." in body


def test_bad_narrative_is_refused_and_keeps_what_was_typed(client, head, dispositif, computed):
    data = {
        "dispositif": dispositif.public_id,
        **QUERY,
        "mission": "Gardé à l’écran",
        "staff_etp": "-3",
    }
    response = client.post(reverse("reporting:narrative_save"), data)
    assert response.status_code == 200
    assert "Gardé à l’écran" in response.content.decode()
    assert response.context["narrative_form"].errors["staff_etp"]
    assert not ReportNarrative.objects.exists()


# --- Generation and versions ----------------------------------------------------------------


def test_generate_creates_a_version_built_on_commit(
    client, head, dispositif, computed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reporting:report_generate"), {"dispositif": dispositif.public_id, **QUERY}
        )
    assert response.status_code == 302 and response["Location"].endswith("#versions")
    version = ReportVersion.objects.get()
    assert (version.status, version.created_by, version.start) == ("pret", head, D(2023, 11, 1))
    body = client.get(response["Location"]).content.decode()
    assert reverse("reporting:version_pdf", kwargs={"version": version.public_id}) in body


def test_generate_twice_is_refused_while_building(client, head, dispositif, computed):
    url = reverse("reporting:report_generate")
    data = {"dispositif": dispositif.public_id, **QUERY}
    client.post(url, data)
    response = client.post(url, data, follow=True)
    assert "déjà en cours de génération" in response.content.decode()
    assert ReportVersion.objects.count() == 1


def test_generate_with_a_bad_selection_writes_nothing(client, head, dispositif):
    response = client.post(
        reverse("reporting:report_generate"),
        {"dispositif": dispositif.public_id, "du": "2024-01-01"},
    )
    assert response.status_code == 302
    assert not ReportVersion.objects.exists()


def test_downloads_of_a_ready_version(client, head, dispositif, computed):
    services.narrative_save(
        dispositif=dispositif,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        by=head,
        mission="Mission figée.",
    )
    version = services.version_request(
        dispositif=dispositif, start=D(2023, 11, 1), end=D(2024, 10, 31), by=head
    )
    services.version_build(version.pk)
    pdf_url, xlsx_url, json_url, _ = version_urls(version)
    response = client.get(pdf_url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="rapport-IML-A-2023')
    assert "Mission figée." in pdf_text(response.content)
    response = client.get(xlsx_url)
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    assert response.content.startswith(b"PK")
    response = client.get(json_url)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content)["households"]["present_at_end"] == 17


def test_a_version_that_is_not_ready_has_no_download(client, head, dispositif):
    version = ReportVersion.objects.create(
        dispositif=dispositif, start=D(2023, 11, 1), end=D(2024, 10, 31), created_by=head
    )
    for url in version_urls(version)[:3]:
        assert client.get(url).status_code == 404


def test_progress_fragment_polls_while_building_and_links_when_ready(client, head, dispositif):
    version = ReportVersion.objects.create(
        dispositif=dispositif,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        created_by=head,
        status=ReportStatus.RUNNING,
        progress=50,
    )
    url = reverse("reporting:version_progress", kwargs={"version": version.public_id})
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in body and f'hx-get="{url}"' in body
    assert '<progress value="50" max="100"' in body
    assert "<html" not in body  # a fragment
    ReportVersion.objects.filter(pk=version.pk).update(
        status=ReportStatus.READY,
        progress=100,
        figures=example_figures(),
        pdf=b"%PDF",
        xlsx=b"PK",
    )
    body = client.get(url).content.decode()
    assert "hx-trigger" not in body  # polling stops
    assert reverse("reporting:version_pdf", kwargs={"version": version.public_id}) in body
    assert reverse("reporting:version_xlsx", kwargs={"version": version.public_id}) in body


def test_progress_fragment_shows_a_failure(client, head, dispositif):
    version = ReportVersion.objects.create(
        dispositif=dispositif,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        created_by=head,
        status=ReportStatus.FAILED,
        error="La génération a échoué.",
    )
    url = reverse("reporting:version_progress", kwargs={"version": version.public_id})
    body = client.get(url).content.decode()
    assert "Échec" in body and "La génération a échoué." in body and "hx-trigger" not in body


def test_a_lost_version_stops_polling(client, head, dispositif):
    with freeze_time("2024-12-05 09:00:00"):
        version = ReportVersion.objects.create(
            dispositif=dispositif,
            start=D(2023, 11, 1),
            end=D(2024, 10, 31),
            created_by=head,
            status=ReportStatus.RUNNING,
        )
    url = reverse("reporting:version_progress", kwargs={"version": version.public_id})
    body = client.get(url).content.decode()
    assert "Interrompue" in body and "hx-trigger" not in body


def test_versions_list_shows_a_running_version_with_its_progress_bar(
    client, head, dispositif, computed
):
    ReportVersion.objects.create(
        dispositif=dispositif,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        created_by=head,
        status=ReportStatus.RUNNING,
        progress=10,
    )
    body = client.get(PAGE).content.decode()
    assert '<progress value="10" max="100"' in body and 'hx-trigger="every 1s"' in body


# --- Drill-down -----------------------------------------------------------------------------


def drilldown_url(dispositif, path: str) -> str:
    from urllib.parse import urlencode

    query = urlencode({"dispositif": dispositif.public_id, **QUERY, "chiffre": path})
    return f"{reverse('reporting:drilldown')}?{query}"


def test_drilldown_lists_the_households_behind_a_figure(
    client, head, org_a, dispositif, monkeypatch
):
    for index in range(3):
        HouseholdFactory(
            organisation=org_a,
            dispositif=dispositif,
            reference=f"M-DRILL-{index}",
            orientation_date=D(2024, 1, 5),
            entry_date=D(2024, 2, 1),
        )
    asked = []

    def households_for(dispositif_, start, end, path):
        asked.append((dispositif_, start, end, path))
        return dispositif_.households.all()

    monkeypatch.setattr("reporting.views.households_for", households_for)
    response = client.get(drilldown_url(dispositif, "exits.destinations.logement_social"))
    body = response.content.decode()
    assert asked == [
        (dispositif, D(2023, 11, 1), D(2024, 10, 31), "exits.destinations.logement_social")
    ]
    assert "Sorties de la période — Destination des ménages sortis" in body
    assert "M-DRILL-0" in body and "M-DRILL-2" in body and "entré le 01/02/2024" in body
    assert "3 éléments comptés" in body


def test_drilldown_is_paginated_with_bounded_queries(
    client, head, org_a, dispositif, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("reporting.views.households_for", lambda d, s, e, p: d.households.all())
    url = drilldown_url(dispositif, "households.accompanied")
    client.get(url)
    for count in (2, 30):
        while dispositif.households.count() < count:
            HouseholdFactory(organisation=org_a, dispositif=dispositif)
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert len(response.context["items"]) == min(count, 25)
    assert "Page 1 sur 2" in client.get(url).content.decode()


def test_drilldown_of_a_figure_that_is_not_a_list(client, head, dispositif, monkeypatch):
    def households_for(dispositif_, start, end, path):
        raise LookupError(path)

    monkeypatch.setattr("reporting.views.households_for", households_for)
    body = client.get(drilldown_url(dispositif, "rent.collection_rate")).content.decode()
    assert "ne se détaille pas" in body


def test_drilldown_of_an_amount_lists_its_entries_and_their_total(client, head, dispositif):
    body = client.get(drilldown_url(dispositif, "rent.called")).content.decode()
    assert "Total : <strong>0,00" in body and "Aucune écriture" in body


def test_drilldown_with_a_bad_link(client, head, dispositif):
    body = client.get(reverse("reporting:drilldown"), {"chiffre": "x"}).content.decode()
    assert "incomplet ou invalide" in body


# --- With the real computation --------------------------------------------------------------


def test_every_drilldown_link_names_a_figure_the_computation_knows(org_a, dispositif):
    from reporting import outputs
    from reporting.money_drilldown import MONEY_FIGURES, money_rows

    start, end = D(2023, 11, 1), D(2024, 10, 31)
    figures = compute.compute_report(dispositif, start, end)
    unknown = []
    for _, _, row in outputs.flat_rows(outputs.document_sections(figures, with_charts=False)):
        for cell in row.cells:
            if cell.linkable:
                try:
                    if cell.path in MONEY_FIGURES:
                        money_rows(dispositif, start, end, cell.path)
                    else:
                        drilldown.households_for(dispositif, start, end, cell.path).count()
                except LookupError:
                    unknown.append(cell.path)
    assert unknown == []


def test_drilldown_end_to_end_with_the_real_computation(client, head, org_a, dispositif):
    HouseholdFactory(
        organisation=org_a,
        dispositif=dispositif,
        reference="M-ENTREE",
        orientation_date=D(2023, 12, 1),
        entry_date=D(2024, 1, 15),
    )
    HouseholdFactory(
        organisation=org_a,
        dispositif=dispositif,
        reference="M-AVANT",
        orientation_date=D(2022, 1, 1),
        entry_date=D(2022, 2, 1),
    )
    page = client.get(PAGE, {"dispositif": dispositif.public_id, **QUERY}).content.decode()
    link = drilldown_url(dispositif, "households.entered").replace("&", "&amp;")
    assert link in page
    body = client.get(drilldown_url(dispositif, "households.entered")).content.decode()
    assert "M-ENTREE" in body and "M-AVANT" not in body
    assert "Identité et activité — Activité de la période — Entrés (Ménages)" in body


def test_the_page_numbers_its_sections_as_the_pdf_does(client, head, dispositif, computed):
    body = client.get(PAGE, {"dispositif": dispositif.public_id, **QUERY}).content.decode()
    numbers = [int(n) for n in re.findall(r'<h2 id="[\w-]+-title">(\d+)\. ', body)]
    assert numbers == sorted(numbers) and numbers[:3] == [1, 2, 3]
