"""The right of access as one archive: the data (JSON and PDF) and the files of the
household's papers, read from their storage."""

from __future__ import annotations

import io
import json
import zipfile

from households.models import Household
from papers.models import PaperFile
from privacy.rgpd_export import household_data, household_pdf, paper_file_name


def household_archive(household: Household) -> bytes:
    data = household_data(household)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr("donnees.pdf", household_pdf(household))
        pages = PaperFile.objects.filter(paper__household=household).select_related("paper")
        for page in pages.order_by("paper__issued_on", "paper_id", "position"):
            with page.file.open("rb") as content:
                # Photos and PDFs are compressed already.
                archive.writestr(paper_file_name(page.paper, page), content.read(),
                                 compress_type=zipfile.ZIP_STORED)  # fmt: skip
    return buffer.getvalue()
