"""Demo alerts: today's, as the daily job would raise them (after every other app's data)."""

from __future__ import annotations

from alerts.job import sync_alerts


def seed(*, organisation, demo, dispositif, users) -> None:
    sync_alerts(organisation)
