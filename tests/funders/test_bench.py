"""The funder's side benchmark (``make bench``, step « financeurs ») runs: every timed call
returns (a unit test does not time: a loaded machine would fail it)."""

from __future__ import annotations

import pytest

from funders.models import Submission


@pytest.mark.django_db
def test_the_benchmark_builds_its_reports_and_leaves_nothing():
    from benchmarks.funder_review import measure_review

    timing = measure_review(dispositifs=120, seed=2, year=2025)

    assert timing.submissions == 360
    assert set(timing.seconds) == {
        "revue régionale (84)",
        "export XLSX de la revue",
        "chiffres clés d’une DDETS (69)",
        "chiffres clés nationaux",
    }
    assert not Submission.objects.exists()
