"""Demo data of this app, called by ``manage.py seed_demo`` (deterministic, idempotent)."""


def seed(*, organisation, demo, dispositif, users) -> None:
    """Filled in by this app's issue."""
