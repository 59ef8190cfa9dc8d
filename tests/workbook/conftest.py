import pytest
from freezegun import freeze_time

from iml.models import Role


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20 10:00:00"):
        yield


@pytest.fixture
def staff_a(members_a):
    """The social worker of A (the interactions' staff of the base workbook)."""
    return members_a[Role.SOCIAL_WORKER]
