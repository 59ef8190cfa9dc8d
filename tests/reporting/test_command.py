"""``manage.py annual_report``: the JSON of a seeded organisation, and French errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reporting import outputs
from tests.reporting.factories import EXPECTED, build_reference

PERIOD = ["--start", "2024-01-01", "--end", "2024-12-31"]


@pytest.fixture
def seeded(org_a, dispositif_a):
    build_reference(org_a, dispositif_a)
    return org_a


def run(*args) -> str:
    out = StringIO()
    call_command("annual_report", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_prints_the_json_of_the_report(seeded):
    output = run("--organisation", "alpha", "--dispositif", "IML-A", *PERIOD, "--format", "json")
    assert json.loads(output) == EXPECTED
    assert "Chalon-sur-Saône" in output  # UTF-8 as is, not \\u escapes


def test_json_is_the_default_format_and_can_go_to_a_file(seeded, tmp_path):
    target = tmp_path / "rapport.json"
    output = run("--organisation", "alpha", "--dispositif", "IML-A", *PERIOD,
                 "--output", str(target))  # fmt: skip
    assert output == ""
    assert json.loads(target.read_text(encoding="utf-8")) == EXPECTED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organisation", "inconnue", "--dispositif", "IML-A"], "Organisation inconnue"),
        (["--organisation", "alpha", "--dispositif", "NOPE"], "Dispositif inconnu"),
        (["--organisation", "beta", "--dispositif", "IML-A"], "Dispositif inconnu"),
    ],
)
def test_unknown_organisation_or_dispositif(seeded, org_b, args, message):
    with pytest.raises(CommandError, match=message) as error:
        run(*args, *PERIOD)
    assert error.value.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-13-01", "--end", "2024-12-31"], "Date invalide"),
        (["--start", "2024-12-31", "--end", "2024-01-01"], "précède son début"),
        ([*PERIOD, "--format", "csv"], "Format inconnu"),
    ],
)
def test_bad_arguments(seeded, args, message):
    with pytest.raises(CommandError, match=message) as error:
        run("--organisation", "alpha", "--dispositif", "IML-A", *args)
    assert error.value.returncode in (1, 2)


def test_other_formats_go_through_the_renderer(seeded, monkeypatch, tmp_path):
    rendered = []

    def render(figures: dict, fmt: str, **sections) -> bytes:
        rendered.append((figures, fmt))
        return b"%PDF-fake"

    monkeypatch.setattr(outputs, "render", render)
    target = tmp_path / "rapport.pdf"
    run("--organisation", "alpha", "--dispositif", "IML-A", *PERIOD, "--format", "pdf",
        "--output", str(target))  # fmt: skip
    assert target.read_bytes() == b"%PDF-fake"
    assert rendered == [(EXPECTED, "pdf")]
    with pytest.raises(CommandError, match="--output") as error:
        run("--organisation", "alpha", "--dispositif", "IML-A", *PERIOD, "--format", "pdf")
    assert error.value.returncode == 2


def test_the_workbook_with_the_real_renderer(seeded, tmp_path):
    target = tmp_path / "rapport.xlsx"
    run("--organisation", "alpha", "--dispositif", "IML-A", *PERIOD, "--format", "xlsx",
        "--output", str(target))  # fmt: skip
    assert target.read_bytes()[:2] == b"PK"  # a zip: an Office Open XML workbook
