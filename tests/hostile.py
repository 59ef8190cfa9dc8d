"""Hostile input for tests/test_hostile_input.py: what a form looks like in the rendered HTML,
and hypothesis strategies that fill it with random and hostile values.

Forms are read from the HTML the user receives (not from the form classes), so that a new
form, a new field or a new button form is covered without touching the tests.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from html.parser import HTMLParser

from hypothesis import strategies as st

# --- What the pages contain -----------------------------------------------------------------

NOT_FIELDS = {"csrfmiddlewaretoken"}


@dataclasses.dataclass
class Field:
    """One named control of a form; several inputs of one name (checkboxes) make one field."""

    name: str
    kind: str  # input type ("text", "date", "checkbox"…), "select", "textarea" or "button"
    options: list[str] = dataclasses.field(default_factory=list)  # choices, checkbox values
    initial: list[str] = dataclasses.field(default_factory=list)  # what the page would send
    multiple: bool = False
    maxlength: int | None = None
    inputmode: str = ""  # "numeric" (a postcode), "decimal" (an amount)…


@dataclasses.dataclass
class Form:
    method: str  # "get" or "post"
    action: str  # as written in the page; "" is the page itself
    fields: dict[str, Field] = dataclasses.field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: tuple[str | None, bool, list[str]] | None = None  # value, selected, text
        self._textarea: tuple[Field, list[str]] | None = None

    def _field(self, name: str, kind: str, **attrs) -> Field:
        assert self._form is not None
        field = self._form.fields.get(name)
        if field is None:
            field = self._form.fields[name] = Field(name=name, kind=kind, **attrs)
        elif kind == field.kind and kind in ("checkbox", "radio", "hidden", "button"):
            field.multiple |= kind in ("checkbox", "hidden")
        return field

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = Form(method=method, action=a.get("action") or "")
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a, [])
            return
        if not name or name in NOT_FIELDS:
            return
        maxlength = int(a["maxlength"]) if (a.get("maxlength") or "").isdigit() else None
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "reset"):
                kind = "button"
            field = self._field(name, kind, maxlength=maxlength, inputmode=a.get("inputmode") or "")
            value = a.get("value")
            if kind in ("checkbox", "radio"):
                value = "on" if value is None else value
                field.options.append(value)
                if "checked" in a:
                    field.initial.append(value)
            elif kind == "button":
                if value is not None:
                    field.options.append(value)
            elif kind != "file":
                field.initial.append(value or "")
        elif tag == "button" and a.get("type", "submit") == "submit":
            field = self._field(name, "button")
            field.options.append(a.get("value") or "")
        elif tag == "select":
            self._select = self._field(name, "select", multiple="multiple" in a)
        elif tag == "textarea":
            self._textarea = (self._field(name, "textarea", maxlength=maxlength), [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2].append(data)
        elif self._textarea is not None:
            self._textarea[1].append(data)

    def _end_option(self) -> None:
        if self._option is not None and self._select is not None:
            value, selected, text = self._option
            value = "".join(text).strip() if value is None else value
            self._select.options.append(value)
            if selected:
                self._select.initial.append(value)
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            if not self._select.initial and self._select.options and not self._select.multiple:
                self._select.initial.append(self._select.options[0])  # what a browser sends
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            field, text = self._textarea
            # The HTML parser drops the newline that follows <textarea>, as browsers do.
            field.initial.append("".join(text))
            self._textarea = None
        elif tag == "form":
            self._end_option()
            self._form = self._select = self._textarea = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


# --- Hostile values -------------------------------------------------------------------------

# Markup that must never reach a page as markup. Each payload maps to its signature: the part
# that only appears verbatim when the value is rendered unescaped (escaping turns every "<",
# ">", '"' and "'" into an entity).
MARKUP = {
    "<script>alert(1)</script>": "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>': "<img src=x onerror=alert(1)>",
    "'><svg/onload=alert(1)>": "<svg/onload=alert(1)>",
    "</textarea><script>alert(2)</script>": "</textarea><script>alert(2)</script>",
    "</title></option><b>gras</b>": "<b>gras</b>",
    '" autofocus onfocus="alert(1)': '" autofocus onfocus="alert(1)',
    "' autofocus onfocus='alert(1)": "' autofocus onfocus='alert(1)",
    '<a href="javascript:alert(1)">lien</a>': '<a href="javascript:alert(1)">',
    "<iframe src=//example.com></iframe>": "<iframe src=//example.com>",
    "</script><script>alert(3)</script>": "</script><script>alert(3)</script>",
}
SIGNATURES = tuple(MARKUP.values())

SQL = [
    "'; DROP TABLE iml_dispositif; --",
    "' OR '1'='1",
    '" OR ""="',
    "1; SELECT pg_sleep(0); --",
    "1' UNION SELECT NULL, current_setting('iml.organisation_id') --",
    "%",
    "_",
    "\\",
    "%%%' ESCAPE '\\",
]

TEMPLATE_AND_FORMAT = ["{{ 7|add:7 }}", "{% debug %}", "%s%s%s%n", "{0.__class__}", "${7*7}"]

UNICODE = [
    "\x00",
    "Dupont\x00",
    "\x00<script>alert(1)</script>",
    "\x01\x02\x03\x07\x08\x0b\x0c\x1b[31m\x7f",
    "ligne 1\r\nligne 2\rligne 3\n",
    "\t  \u00a0\u2003\u200b\ufeff",
    "\u202eevil.exe\u202c",  # right-to-left override
    "\u2066\u2067isolate\u2069",
    "abc\u200d\u200c",
    "😀👩‍👩‍👧‍👦🏳️‍🌈",
    "🇫🇷" * 3,
    "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",  # stacked combining accents
    "Z\u0351\u0360\u0337\u034f\u0489\u0334\u0335",
    "\uff21\uff22\uff23\uff11\uff12\uff13",  # full-width ABC123
    "ﬀﬁﬂ",  # ligatures (NFKC changes them)
    "\U0010ffff\U000e0001",
    "\u0130\u0131\u017f\u212a",  # case folding traps (dotted I, dotless i, long s, Kelvin)
    "Ꙭ" * 40,
    "\ud7ff\ue000\uffff",
    "مرحبا بالعالم",
    "名前",
]

LONG = [
    "A" * 10_001,
    "é" * 10_001,
    "😀" * 10_001,
    "<script>alert(1)</script>" * 401,
    "x" * 100_000,
    ("' OR 1=1 -- " * 1_000),
]

DATES = [
    "0000-00-00",
    "9999-12-31",
    "31/12/9999",
    "0001-01-01",
    "01/01/0001",
    "31/02/2026",
    "2026-02-30",
    "2026-13-45",
    "29/02/2025",
    "29/02/2024",
    "10000-01-01",
    "1899-12-31",
    "01/01/1900",
    "-2026-01-01",
    "2026-01-01T00:00:00",
    "2026-01-01 00:00",
    "2026-1-1",
    "20260101",
    "01/01/26",
    "31/12/99",
    "aujourd’hui",
    "now",
    "",
    " ",
]

NUMBERS = [
    "-1",
    "-0",
    "0",
    "1",
    "1e308",
    "-1e308",
    "1e-308",
    "1E+5",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "99999999999999999999",
    "-99999999999999999999",
    "32767",
    "32768",
    "65536",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "9999999999.99",
    "10000000000",
    "0.001",
    "0.005",
    "12,5",
    "1 234,56",
    "1\u00a0234,56",
    "1.234,56",
    "1,234.56",
    "0x10",
    "1_000",
    "+5",
    " 5 ",
    "5.",
    ".5",
    "١٢",  # Arabic-Indic digits
    "\uff11\uff12",  # full-width digits
    "5€",
    "12.5.3",
]

EXTRA_KEYS = [
    "organisation",
    "organisation_id",
    "public_id",
    "id",
    "pk",
    "status",
    "role",
    "is_superuser",
    "is_staff",
    "user",
    "next",
    "page",
    "q",
    "unit",
    "household",
    "return_date",
    "entry_date",
    "",
    "a" * 300,
    "champ\x00nul",
    "<script>alert(1)</script>",
    "dispositif[]",
    "__proto__",
]

# What a refused ``next`` may not become: a redirection to another site.
OFFSITE = ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]


@functools.cache
def _unicode_text(max_size: int = 40) -> st.SearchStrategy[str]:
    # Lone surrogates cannot be encoded in an HTTP request (UTF-8): not sent.
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)


@functools.cache
def hostile_text() -> st.SearchStrategy[str]:
    catalogue = [*MARKUP, *SQL, *TEMPLATE_AND_FORMAT, *UNICODE, *OFFSITE]
    return st.one_of(
        st.sampled_from(catalogue),
        st.sampled_from(LONG),
        _unicode_text(),
        st.tuples(st.sampled_from(catalogue), st.sampled_from(catalogue)).map("".join),
    )


@functools.cache
def hostile_date() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(DATES),
        st.dates().map(lambda d: d.isoformat()),
        st.dates().map(lambda d: f"{d.day:02}/{d.month:02}/{d.year:04}"),
        st.tuples(st.integers(-99, 99999), st.integers(-1, 14), st.integers(-1, 33)).map(
            lambda t: f"{t[0]:04}-{t[1]:02}-{t[2]:02}"
        ),
    )


@functools.cache
def hostile_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(-(2**80), 2**80).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
    )


@functools.cache
def hostile_value() -> st.SearchStrategy[str]:
    return st.one_of(hostile_text(), hostile_date(), hostile_number())


def _plausible_text(field: Field) -> st.SearchStrategy[str]:
    """Values a text field may well accept: markup and SQL included, text fields store them."""
    limit = field.maxlength or 200
    if field.inputmode == "numeric":  # a postcode, a SIRET…
        size = field.maxlength or 5
        return st.text("0123456789", min_size=size, max_size=size)
    if field.inputmode == "decimal":
        return _plausible_number()
    short = [v for v in [*MARKUP, *SQL, *TEMPLATE_AND_FORMAT, *UNICODE[4:]] if len(v) <= limit]
    return st.one_of(
        st.sampled_from(short),
        st.text(
            st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
            min_size=1,
            max_size=min(limit, 30),
        ).filter(str.strip),
    )


@functools.cache
def _plausible_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 9).map(str),
        st.decimals(min_value=0, max_value=2000, places=2, allow_nan=False).map(str),
    )


# Dates a form may accept: mostly the last years (entries, exits, leases: not in the future,
# not before the samples' own dates), else births and the coming years.
_TODAY = datetime.date.today()
PLAUSIBLE_DATES = st.one_of(
    st.dates(_TODAY - datetime.timedelta(days=60), _TODAY),
    st.dates(_TODAY - datetime.timedelta(days=3 * 365), _TODAY),
    st.dates(datetime.date(1940, 1, 1), datetime.date(2030, 12, 31)),
)


def plausible_value(field: Field) -> st.SearchStrategy[str]:
    """One value that the form may accept, so that the others reach the services."""
    options = [o for o in field.options if o]
    if field.kind in ("select", "radio", "checkbox", "button") and options:
        return st.sampled_from(options)
    if field.kind == "date":
        return PLAUSIBLE_DATES.map(
            lambda d: d.isoformat() if d.day % 2 else f"{d.day:02}/{d.month:02}/{d.year:04}"
        )
    if field.kind == "number":
        return _plausible_number()
    if field.kind == "email":
        return st.sampled_from(
            ["personne@exemple.fr", '"<script>alert(1)</script>"@exemple.fr', "é.à@exemple.fr"]
        ).flatmap(lambda e: st.integers(0, 99).map(lambda n: f"{n}.{e}"))
    if field.kind == "hidden":
        return st.sampled_from(field.initial or [""])
    return _plausible_text(field)


def baseline_values(field: Field) -> st.SearchStrategy[list[str] | None]:
    """What a user filling the form in would send: the page's values or plausible ones."""
    options = [o for o in field.options if o]
    if field.kind == "checkbox":
        return st.lists(st.sampled_from(options), unique=True, max_size=2) if options else st.none()
    if field.kind == "button":  # the submitter: its value is sent, or none
        return (st.none() | st.sampled_from(options).map(lambda v: [v])) if options else st.none()
    if field.kind == "select" and field.multiple:
        return st.lists(st.sampled_from(options), unique=True, max_size=2) if options else st.none()
    plausible = plausible_value(field).map(lambda v: [v])
    if field.kind == "hidden":
        return st.just(list(field.initial))
    if any(field.initial):
        return st.just(list(field.initial)) | plausible
    return plausible


def typed_hostile(field: Field) -> st.SearchStrategy[str]:
    if field.kind == "date":
        return hostile_date()
    if field.kind == "number" or field.inputmode in ("numeric", "decimal"):
        return hostile_number()
    return hostile_text()


def field_values(field: Field) -> st.SearchStrategy[list[str] | None]:
    """A hostile turn for one field. None: the field is missing; several values: repeated."""
    one = st.one_of(typed_hostile(field), hostile_value(), plausible_value(field))
    return st.one_of(
        st.none(),
        st.just([""]),
        one.map(lambda v: [v]),
        one.map(lambda v: [v]),
        st.lists(st.one_of(one, plausible_value(field)), min_size=2, max_size=4),
    )


def form_data(fields: dict[str, Field]) -> st.SearchStrategy[dict[str, list[str]]]:
    """A form as sent: mostly a plausible filling in with a few hostile fields (so that the
    hostile values reach the services, and markup gets stored), sometimes hostile throughout;
    plus unexpected keys. Build it once per form: strategies are costly to build."""
    sent = [f for f in fields.values() if f.kind != "file"]
    baseline = {f.name: baseline_values(f) for f in sent}
    hostile = {f.name: field_values(f) for f in sent}
    names = st.sampled_from([f.name for f in sent]) if sent else st.nothing()
    extra_keys = st.one_of(st.sampled_from(EXTRA_KEYS), _unicode_text(20).filter(bool))
    extras = st.dictionaries(
        extra_keys, st.lists(hostile_value(), min_size=1, max_size=2), max_size=2
    )

    @st.composite
    def draw_form(draw) -> dict[str, list[str]]:
        throughout = draw(st.integers(0, 4), label="hostile throughout") == 0
        data: dict[str, list[str]] = {}
        for name in baseline:
            values = draw(hostile[name] if throughout else baseline[name], label=name)
            if values is not None:
                data[name] = values
        if sent and not throughout:
            count = draw(st.sampled_from([0, 1, 1, 1, 2, 3]), label="how many hostile fields")
            chosen = st.lists(names, unique=True, min_size=min(count, len(sent)), max_size=count)
            for name in draw(chosen, label="hostile fields"):
                values = draw(hostile[name], label=f"hostile {name}")
                if values is None:
                    data.pop(name, None)
                else:
                    data[name] = values
        for key, values in draw(extras, label="unexpected keys").items():
            data.setdefault(key, values)
        return data

    return draw_form()


def file_content() -> st.SearchStrategy[tuple[str, bytes]]:
    """A file name and content for an upload: hostile names, binary and markup content."""
    names = st.one_of(
        st.sampled_from(
            [
                "../../etc/passwd",
                "<script>alert(1)</script>.xlsx",
                "a" * 300 + ".xlsx",
                "nul\x00.xlsx",
                "\u202excod.exe",
                "classeur.xlsx",
            ]
        ),
        _unicode_text(30).filter(bool),
    )
    contents = st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"", b"PK\x03\x04" + b"\x00" * 100, b"<script>alert(1)</script>"]),
    )
    return st.tuples(names, contents)


def shorten(value, limit: int = 60):
    """A payload fit for an error message."""
    if isinstance(value, dict):
        return {shorten(k, 30): shorten(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [shorten(v) for v in value]
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}…({len(value)} chars)"
    return value
