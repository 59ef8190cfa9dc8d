"""Demo papers: a few households' titres de séjour (one expiring within the month, so that an
alert and « Pièces à renouveler » show it), their RIB, and a home's main lease, as photos and
PDFs drawn here. Idempotent: nothing is added once the organisation has papers."""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from households.models import Household, HouseholdStatus
from housing.models import HousingUnit
from iml.codes import PaperKind
from papers.models import Paper
from papers.services import Owner, PaperData, paper_add


def _scan(title: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (900, 600), (245, 242, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 880, 580), outline=(60, 60, 120), width=6)
    draw.text((60, 60), f"{title}\n(document de démonstration)", fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return SimpleUploadedFile("scan.jpg", out.getvalue(), content_type="image/jpeg")


def seed(*, organisation, demo, dispositif, users) -> None:
    if Paper.objects.exists():
        return
    today = timezone.localdate()
    worker = users["social_worker"]
    present = [h for h in Household.objects.filter(dispositif=dispositif).order_by("reference")
               if h.status == HouseholdStatus.PRESENT][:4]  # fmt: skip
    for number, household in enumerate(present):
        person = household.persons.order_by("pk").first()
        # The first one's titre expires within the month: an alert, a line to renew.
        days = 20 if number == 0 else 200 + 40 * number
        paper_add(
            owner=Owner(household=household, person=person),
            data=PaperData(kind=PaperKind.TITRE_SEJOUR, issued_on=today - datetime.timedelta(
                days=365 - days), valid_until=today + datetime.timedelta(days=days)),
            uploads=[_scan("Titre de séjour"), _scan("Titre de séjour — verso")],
            by=worker,
        )  # fmt: skip
        if number % 2 == 0:
            paper_add(owner=Owner(household=household),
                      data=PaperData(kind=PaperKind.RIB, issued_on=today
                                     - datetime.timedelta(days=60)),
                      uploads=[_scan("RIB")], by=worker)  # fmt: skip
    unit = HousingUnit.objects.filter(dispositif=dispositif, leases__isnull=False).first()
    if unit is not None:
        lease = unit.leases.order_by("start_date").first()
        paper_add(
            owner=Owner(unit=unit, lease=lease),
            data=PaperData(kind=PaperKind.BAIL, issued_on=min(lease.start_date, today),
                           note="Bail principal signé"),
            uploads=[_scan("Bail principal")],
            by=users["regisseur"],
        )  # fmt: skip
