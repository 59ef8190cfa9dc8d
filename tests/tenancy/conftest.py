"""Fixtures of the tenancy tests: a running contract of organisation A with a few months of
rent calls, built through the services as the application does."""

import datetime
from decimal import Decimal

import pytest

from tenancy.calls import issue_calls_to_date
from tests.tenancy.factories import SubleaseContractFactory


@pytest.fixture
def running_contract(org_a, dispositif_a):
    """Household entered on 2025-03-10 (rent 400 + charges 50, CAF expected 250), calls
    issued from March (prorated: 319.35) to June 2025 (450 each): balance 1 669.35."""
    contract = SubleaseContractFactory(
        organisation=org_a,
        unit__dispositif=dispositif_a,
        start_date=datetime.date(2025, 3, 10),
        rent=Decimal("400.00"),
        charges=Decimal("50.00"),
        expected_housing_benefit=Decimal("250.00"),
    )
    issue_calls_to_date(contract, today=datetime.date(2025, 6, 20))
    return contract
