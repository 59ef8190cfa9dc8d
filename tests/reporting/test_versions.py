"""Report periods, narratives and versions: requested, built by the task (progress, PDF,
XLSX), failed without partial data, frozen once ready; and a real Celery worker."""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import Error, transaction
from openpyxl import load_workbook

from iml.models import Role
from iml.rls import organisation_transaction
from iml.scoping import organisation_context
from reporting import outputs, services
from reporting.models import ReportNarrative, ReportStatus, ReportVersion
from reporting.tasks import build_report_version
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.reporting.example_figures import example_figures, patch_compute
from tests.reporting.test_outputs import pdf_text, workbook_tables

D = datetime.date


@pytest.fixture
def computed(monkeypatch):
    return patch_compute(monkeypatch)


@pytest.fixture
def head(head_a):
    return head_a.user


START, END = D(2023, 11, 1), D(2024, 10, 31)


def request_version(dispositif, by, start=START, end=END) -> ReportVersion:
    return services.version_request(dispositif=dispositif, start=start, end=end, by=by)


# --- Periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_month", "today", "expected"),
    [
        (11, D(2024, 12, 5), (D(2023, 11, 1), D(2024, 10, 31))),
        (1, D(2025, 3, 1), (D(2024, 1, 1), D(2024, 12, 31))),
        # The day after a period ends, it is complete.
        (11, D(2024, 11, 1), (D(2023, 11, 1), D(2024, 10, 31))),
        (11, D(2024, 10, 31), (D(2022, 11, 1), D(2023, 10, 31))),
        (1, D(2025, 1, 1), (D(2024, 1, 1), D(2024, 12, 31))),
        (1, D(2024, 12, 31), (D(2023, 1, 1), D(2023, 12, 31))),
        (3, D(2024, 2, 29), (D(2022, 3, 1), D(2023, 2, 28))),
        (3, D(2025, 3, 1), (D(2024, 3, 1), D(2025, 2, 28))),
    ],
)
def test_default_period_is_the_last_complete_twelve_months(start_month, today, expected):
    dispositif = DispositifFactory.build(report_start_month=start_month)
    assert services.default_period(dispositif, today) == expected


def test_previous_period_is_one_year_earlier():
    assert services.previous_period(D(2023, 11, 1), D(2024, 10, 31)) == (
        D(2022, 11, 1),
        D(2023, 10, 31),
    )
    assert services.previous_period(D(2024, 2, 29), D(2025, 2, 28)) == (
        D(2023, 2, 28),
        D(2024, 2, 28),
    )


# --- Narrative ------------------------------------------------------------------------------


def test_narrative_is_one_per_dispositif_and_period(org_a, dispositif_a, head):
    first = services.narrative_save(
        dispositif=dispositif_a,
        start=D(2024, 1, 1),
        end=D(2024, 12, 31),
        by=head,
        mission="  Mission  ",
        staff_etp=Decimal("0.70"),
    )
    again = services.narrative_save(
        dispositif=dispositif_a,
        start=D(2024, 1, 1),
        end=D(2024, 12, 31),
        by=head,
        highlights="Faits",
    )
    assert again.pk == first.pk
    assert (again.mission, again.highlights, again.staff_etp) == ("", "Faits", None)
    other = services.narrative_save(
        dispositif=dispositif_a, start=D(2023, 1, 1), end=D(2023, 12, 31), by=head, mission="2023"
    )
    assert other.pk != first.pk
    assert ReportNarrative.objects.count() == 2
    assert services.narrative_snapshot(other)["mission"] == "2023"


def test_narrative_refuses_bad_values_and_writes_nothing(org_a, dispositif_a, head):
    with pytest.raises(ValidationError) as error:
        services.narrative_save(
            dispositif=dispositif_a,
            start=D(2024, 1, 1),
            end=D(2024, 12, 31),
            by=head,
            staff_etp=Decimal("-1"),
        )
    assert "staff_etp" in error.value.message_dict
    with pytest.raises(ValidationError, match="précède"):
        services.narrative_save(
            dispositif=dispositif_a, start=D(2024, 12, 31), end=D(2024, 1, 1), by=head
        )
    assert not ReportNarrative.objects.exists()


# --- Request --------------------------------------------------------------------------------


def test_request_creates_a_waiting_version_and_enqueues_on_commit(
    org_a, dispositif_a, head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        version = request_version(dispositif_a, head)
    assert (version.status, version.progress, version.created_by) == ("en_attente", 0, head)
    assert version.organisation == org_a
    assert len(callbacks) == 1  # the task, once the transaction commits


def test_request_is_refused_while_the_same_report_is_being_built(org_a, dispositif_a, head):
    request_version(dispositif_a, head)
    with pytest.raises(ValidationError, match="déjà en cours"):
        request_version(dispositif_a, head)
    # Another period is another report.
    request_version(dispositif_a, head, D(2022, 11, 1), D(2023, 10, 31))
    # A version stuck for too long (worker lost) does not block a new one.
    ReportVersion.objects.update(created_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    assert request_version(dispositif_a, head).status == "en_attente"


def test_request_refuses_an_inverted_or_too_long_period(org_a, dispositif_a, head):
    with pytest.raises(ValidationError, match="précède"):
        request_version(dispositif_a, head, D(2024, 1, 1), D(2023, 1, 1))
    with pytest.raises(ValidationError, match="deux ans"):
        request_version(dispositif_a, head, D(2020, 1, 1), D(2023, 1, 1))
    assert not ReportVersion.objects.exists()


# --- Build ----------------------------------------------------------------------------------


def test_build_stores_figures_narrative_pdf_and_workbook(org_a, dispositif_a, head, computed):
    services.narrative_save(
        dispositif=dispositif_a,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        by=head,
        mission="Loger et accompagner.",
        staff_etp=Decimal("0.70"),
    )
    version = request_version(dispositif_a, head)
    assert services.version_build(version.pk) == ReportStatus.READY
    version.refresh_from_db()
    assert (version.status, version.progress, version.gaps, version.error) == ("pret", 100, 7, "")
    assert version.finished_at is not None
    assert computed == [(dispositif_a.pk, D(2023, 11, 1), D(2024, 10, 31))]
    assert version.figures["households"]["present_at_end"] == 17
    assert version.narrative["mission"] == "Loger et accompagner."
    assert version.narrative["staff_etp"] == "0.70"
    text = pdf_text(bytes(version.pdf))
    for expected in (
        "Association Alpha",
        "Dispositif Alpha (IML-A)",
        "Loger et accompagner.",
        "61 234,56 €",
        "1 234,56 €",
        "Afghanistan 30",
        "Effectif (ETP) 0,70",
        "7 lacunes restantes",
    ):
        assert expected in text, expected
    tables = workbook_tables(bytes(version.xlsx))
    typology = tables["5. Présents en fin de période"]["Composition des ménages"]
    assert typology["homme_seul"] == [7, 0, 1]
    assert tables["7. Sorties"]["Catégories de destination"]["perenne"] == [3]
    assert load_workbook(io.BytesIO(bytes(version.xlsx)))["2. Récit"]["B2"].value == (
        "Loger et accompagner."
    )


def test_progress_goes_from_figures_to_pdf_to_workbook(org_a, dispositif_a, head, monkeypatch):
    version = request_version(dispositif_a, head)
    seen = []

    def state():
        row = ReportVersion.objects.values("status", "progress").get(pk=version.pk)
        return (row["status"], row["progress"])

    def compute(dispositif, start, end):
        seen.append(("figures", *state()))
        return example_figures()

    render = outputs.render

    def spy(figures, fmt, **kwargs):
        seen.append((fmt, *state()))
        return render(figures, fmt, **kwargs)

    monkeypatch.setattr(services, "compute_report", compute)
    monkeypatch.setattr(outputs, "render", spy)
    services.version_build(version.pk)
    assert seen == [
        ("figures", "en_cours", 10),
        ("pdf", "en_cours", 50),
        ("xlsx", "en_cours", 85),
    ]
    assert state() == ("pret", 100)


def test_a_failing_computation_fails_the_version_without_partial_data(
    org_a, dispositif_a, head, monkeypatch
):
    def broken(dispositif, start, end):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(services, "compute_report", broken)
    version = request_version(dispositif_a, head)
    assert services.version_build(version.pk) == ReportStatus.FAILED
    version.refresh_from_db()
    assert version.status == "echec"
    assert "calcul des chiffres" in version.error and "relancez" in version.error
    assert version.pdf is None and version.xlsx is None and version.figures is None
    assert version.narrative == {} and version.gaps is None


def test_a_failing_document_fails_the_version_without_partial_data(
    org_a, dispositif_a, head, computed, monkeypatch
):
    render = outputs.render

    def no_workbook(figures, fmt, **kwargs):
        if fmt == "xlsx":
            raise OSError("disk full")
        return render(figures, fmt, **kwargs)

    monkeypatch.setattr(outputs, "render", no_workbook)
    version = request_version(dispositif_a, head)
    services.version_build(version.pk)
    version.refresh_from_db()
    assert version.status == "echec" and "classeur" in version.error
    assert version.pdf is None and version.figures is None


def test_build_runs_once(org_a, dispositif_a, head, computed):
    version = request_version(dispositif_a, head)
    services.version_build(version.pk)
    # Again (a retried task, a second worker): nothing is computed nor written again.
    assert services.version_build(version.pk) == ReportStatus.READY
    assert len(computed) == 1


def test_the_task_builds_as_the_versions_organisation(
    org_a, dispositif_a, head, computed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = request_version(dispositif_a, head)
    version.refresh_from_db()
    assert version.status == "pret"
    # Run outside any organisation context, by id: the task sets it.
    with organisation_context(None):
        assert build_report_version.delay(version.pk, org_a.pk).get() == "pret"


# --- Frozen ---------------------------------------------------------------------------------


def test_a_ready_version_does_not_change_when_data_and_narrative_change(
    org_a, dispositif_a, head, monkeypatch
):
    patch_compute(monkeypatch)
    services.narrative_save(
        dispositif=dispositif_a,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        by=head,
        mission="Première version du récit.",
    )
    version = request_version(dispositif_a, head)
    services.version_build(version.pk)
    version.refresh_from_db()
    frozen = (version.figures, version.narrative, bytes(version.pdf), bytes(version.xlsx))

    # The data and the narrative change afterwards; a new version sees the change.
    def changed(dispositif, start, end):
        figures = example_figures()
        figures["present_at_end"]["households"] = 99
        return figures

    monkeypatch.setattr(services, "compute_report", changed)
    services.narrative_save(
        dispositif=dispositif_a,
        start=D(2023, 11, 1),
        end=D(2024, 10, 31),
        by=head,
        mission="Récit réécrit.",
    )
    newer = request_version(dispositif_a, head)
    services.version_build(newer.pk)
    newer.refresh_from_db()
    assert newer.figures["present_at_end"]["households"] == 99
    assert newer.narrative["mission"] == "Récit réécrit."

    version.refresh_from_db()
    assert (version.figures, version.narrative, bytes(version.pdf), bytes(version.xlsx)) == frozen
    assert version.figures["present_at_end"]["households"] == 17
    assert "Première version du récit." in pdf_text(frozen[2])


def test_the_database_refuses_to_change_a_ready_version(org_a, dispositif_a, head, computed):
    version = request_version(dispositif_a, head)
    services.version_build(version.pk)
    for change in ({"figures": {}}, {"pdf": b"x"}, {"status": "echec"}, {"narrative": {}}):
        with pytest.raises(Error, match="Cannot update"), transaction.atomic():
            ReportVersion.objects.filter(pk=version.pk).update(**change)
    # A version being built may still be written (its progress).
    running = request_version(dispositif_a, head, D(2022, 11, 1), D(2023, 10, 31))
    ReportVersion.objects.filter(pk=running.pk).update(progress=50)


# --- A real worker --------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_real_worker_generates_a_version_end_to_end(worker):
    organisation = OrganisationFactory(slug="rapport-worker", name="Association Rapport")
    dispositif = DispositifFactory(organisation=organisation, code="IML-W", name="IML Worker")
    head = MembershipFactory(organisation=organisation, role=Role.HEAD).user
    with organisation_transaction(organisation):
        version = services.version_request(
            dispositif=dispositif, start=D(2024, 1, 1), end=D(2024, 12, 31), by=head
        )
    # Committed: the worker took the task. The page sees the state move, then "pret".
    states = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker died"
        with organisation_transaction(organisation):
            row = ReportVersion.objects.values("status", "progress").get(pk=version.pk)
        if not states or states[-1] != (row["status"], row["progress"]):
            states.append((row["status"], row["progress"]))
        if row["status"] in ("pret", "echec"):
            break
        time.sleep(0.05)
    assert states[-1] == ("pret", 100), states
    print("states seen while polling:", states)
    with organisation_transaction(organisation):
        version.refresh_from_db()
    assert bytes(version.pdf).startswith(b"%PDF")
    assert version.figures["dispositif"] == "IML-W"
    assert version.figures["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert "IML Worker (IML-W)" in pdf_text(bytes(version.pdf))
    assert load_workbook(io.BytesIO(bytes(version.xlsx))).sheetnames[0] == "1. Identité"
