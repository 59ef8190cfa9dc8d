"""Organisation A's papers for the isolation sweep (tests/test_isolation_sweep.py): one of its
household (a file and its thumbnail) and one of its home."""

from __future__ import annotations

from typing import Any

from iml.codes import PaperKind
from papers.services import Owner
from tests.papers.helpers import add_paper


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    from households.models import Household
    from housing.models import HousingUnit
    from iml.models import Membership

    household = Household.objects.get(public_id=base["household"])
    unit = HousingUnit.objects.get(public_id=base["unit"])
    by = Membership.objects.get(public_id=base["membership"]).user
    paper = add_paper(Owner(household=household), PaperKind.TITRE_SEJOUR, by, note="IML-ALPHA")
    add_paper(Owner(unit=unit), PaperKind.BAIL, by)
    from papers.models import PaperType

    paper_type = PaperType.objects.create(organisation=organisation, label="IML-ALPHA attestation")
    return {"paper": paper.public_id, "page": paper.files.get().public_id,
            "paper_type": paper_type.public_id}  # fmt: skip
