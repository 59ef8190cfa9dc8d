"""Logs carry no personal data: a filter on every handler redacts what could be one.

Application code logs identifiers (UUIDs, ids), never names; this filter is the safety net
for what third-party code puts in messages and tracebacks: e-mail addresses, phone numbers,
the values PostgreSQL quotes in its error details ("Key (reference)=(…)"), and query strings.
"""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
DB_DETAIL = re.compile(r"(DETAIL:.*?)\)=\((.*?)\)", re.S)
QUERY_STRING = re.compile(r"(/[^\s?\"']*)\?[^\s\"']+")


def redact(text: str) -> str:
    text = DB_DETAIL.sub(r"\1)=([masqué])", text)
    text = EMAIL.sub("[e-mail masqué]", text)
    text = PHONE.sub("[téléphone masqué]", text)
    return QUERY_STRING.sub(r"\1?[paramètres masqués]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            # The formatter would format exc_info again, unredacted, if it were kept.
            record.exc_info = None
        # Django attaches the request (headers, cookies, POST) for error e-mails.
        if hasattr(record, "request"):
            record.request = None
        return True
