"""Validation of a workbook against the organisation's data: every error, before any write.

``analyse(book, organisation)`` reads every row, resolves every reference (to a row of the
workbook or to the organisation's data) and checks the rules; it returns an ``Analysis``: the
errors, each as ``sheet:row: column: message`` (row numbers as the spreadsheet shows them,
header = row 1), and, when there is none, the plan of what to create and update, sheet by
sheet, that ``workbook.importer`` writes.

Rows are matched within the organisation: by ``ref`` (``code`` for dispositifs); a row of
the organisation that has no ``ref`` (entered in the application) is exported with its public
identifier as ``ref`` and matched on it. Sheets without ``ref`` are matched by their natural
key and its occurrence (the second interaction of a household on a day of one type matches
the second one recorded): ressources (ménage, date), emplois (personne, date), avenants
(contrat, rank by date), interactions (ménage, date, type); and, for the road out (``rehousing``),
demandes_logement (ménage, one each) and suivis_sortie (ménage, months).

Everything runs as the current organisation (the scoped managers): nothing of another
organisation is read, so a ``ref`` equal to another organisation's is simply new here.
"""

from workbook.validate.plan import FOREIGN_KEYS, Analysis, Item, LandlordName, Link
from workbook.validate.runner import Analyser, analyse, without_gc

__all__ = [
    "FOREIGN_KEYS",
    "Analyser",
    "Analysis",
    "Item",
    "LandlordName",
    "Link",
    "analyse",
    "without_gc",
]
