"""Lists that sort by column and export what their filters show.

A list names its columns once (``Column``: the header's label, the ordering that sorts by it,
the value a CSV or XLSX cell takes); ``Listing`` reads ``?tri=`` (« -key » descending) and
``?export=csv|xlsx`` from the request, orders the queryset, gives the table its header links
(``templates/includes/sortable_head.html``, with ``aria-sort``) and answers the export: every
row the filters keep, not only the page shown. CSV cells that a spreadsheet would take for a
formula are written behind an apostrophe, as the workbook export does.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from openpyxl import Workbook

from iml.downloads import attachment

# The most rows an export writes: far above the largest operator's lists.
EXPORT_LIMIT = 50_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[Any], object]
    # Sorts ascending by these (descending: each reversed); empty: the column does not sort.
    ordering: Sequence[Any] = ()
    numeric: bool = False


@dataclass(frozen=True)
class Header:
    label: str
    url: str | None
    aria_sort: str | None
    numeric: bool


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value
    return value


def _text(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


class Listing:
    def __init__(
        self, request: HttpRequest, columns: Sequence[Column], *, name: str, default: str = ""
    ) -> None:
        self.request = request
        self.columns = list(columns)
        self.name = name
        sortable = {column.key for column in self.columns if column.ordering}
        wanted = request.GET.get("tri", "")
        self.sort = wanted if wanted.lstrip("-") in sortable else default

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The queryset sorted by the chosen column (its own order when none is)."""
        if not self.sort:
            return queryset
        key = self.sort.lstrip("-")
        column = next(column for column in self.columns if column.key == key)
        descending = self.sort.startswith("-")
        ordering = [
            (
                (field.desc(nulls_last=True) if descending else field.asc(nulls_last=True))
                if hasattr(field, "asc")
                else (f"-{field}" if descending else field)
            )
            for field in column.ordering
        ]
        return queryset.order_by(*ordering, "pk")

    def _url(self, **changes: str) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        for name, value in changes.items():
            query[name] = value
        return f"?{query.urlencode()}"

    @property
    def headers(self) -> list[Header]:
        headers = []
        for column in self.columns:
            if not column.ordering:
                headers.append(Header(column.label, None, None, column.numeric))
                continue
            current = self.sort.lstrip("-") == column.key
            descending = self.sort.startswith("-")
            target = f"-{column.key}" if current and not descending else column.key
            aria = ("descending" if descending else "ascending") if current else None
            headers.append(Header(column.label, self._url(tri=target), aria, column.numeric))
        return headers

    @property
    def export_urls(self) -> dict[str, str]:
        return {kind: self._url(export=kind) for kind in ("csv", "xlsx")}

    def export(self, rows: Callable[[], Iterable[Any]]) -> HttpResponse | None:
        """The download ``?export=`` asks for, of ``rows()``, or None (the page is shown:
        ``rows`` is not called)."""
        kind = self.request.GET.get("export")
        if kind not in ("csv", "xlsx"):
            return None
        table = (
            [column.value(row) for column in self.columns]
            for row in itertools.islice(rows(), EXPORT_LIMIT)
        )
        labels = [column.label for column in self.columns]
        if kind == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";")
            writer.writerow(labels)
            for values in table:
                writer.writerow(["" if value is None else _cell(_text(value)) for value in values])
            response = HttpResponse(
                "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
            )
            return attachment(response, self.name, extension="csv")
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(self.name[:31])
        sheet.append(labels)
        for values in table:
            sheet.append([_cell(value) for value in values])
        content = io.BytesIO()
        workbook.save(content)
        response = HttpResponse(
            content.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return attachment(response, self.name, extension="xlsx")
