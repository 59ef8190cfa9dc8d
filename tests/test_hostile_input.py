"""Hostile input, URL by URL: random and hostile values posted to every form of the project.

Like the isolation sweep (tests/test_isolation_sweep.py), this walks every URL pattern and
builds its keyword arguments from the sweep's sample objects (``sample_kwargs``). Each page is
read as the first member of organisation A allowed to use it (head, admin, régisseur, social
worker, in this order), and its forms are read from the rendered HTML: names of inputs,
selects, textareas and buttons, with their options. A new form, field or button form is thus
covered without touching this file; a URL with no form at all is posted to all the same,
with unexpected keys only.

For each URL, hypothesis (``tests/hostile.py``) fills the forms with very long strings,
markup and script, SQL fragments, NUL bytes and control characters, right-to-left overrides,
emoji and combining characters, invalid and extreme dates, negative, huge and malformed
numbers, missing, repeated and unexpected fields, sent urlencoded or as multipart; filter
forms (GET) get the same treatment in the query string. For every request:

- no server error (5xx, or an exception out of the view);
- a refused post (any answer but a redirection) wrote nothing: every row of every project
  model, read as organisation A, is unchanged;
- no hostile markup appears verbatim in the page (its escaped form may);
- a redirection stays on this site, and after an accepted post nothing stored holds a control
  or invisible character (bidirectional overrides and isolates, zero-width marks; tabs and
  line breaks in one-line columns) or a date outside 1900–2100 (``iml.validators``, checked
  here with its own expressions over every text and date column), and the pages that show what
  was stored (the redirection's target, the form's page, one other page drawn at random) show
  it escaped.

Uploads: no page has a file input today; an ``<input type="file">`` would be sent files
with hostile names and contents. Read logs (``READ_LOGS``: the access log of personal data)
may gain rows on a refused post, which displays a page; their existing rows may not change.

Each example runs in a savepoint rolled back at its end: examples are independent (and
hypothesis can shrink a failure), and the samples stay in their initial state.

Not swept: the Django admin (platform superusers, tests/iml/test_auth_and_dashboard.py) and the
views of ``django.contrib.auth`` (``DJANGO_AUTH_VIEWS``): their forms and their handling of
input are Django's (AuthenticationForm, of which the project's LoginForm only makes the
username an EmailField, PasswordResetForm, SetPasswordForm); the login is
moreover guarded by django-axes, which hostile posts would merely lock, and the password
reset answers the same for any input and needs a signed token to go further.

Size and run time (2 CPU cores, on the day this was written): 52 URLs (the 58 patterns less
the 6 Django auth views), 36 forms found in the pages (32 posted, 4 filters), 204 fields.
``EXAMPLES`` (15) examples for each URL with a form, 3 for the others: about 590 requests,
plus about 190 for ``test_a_nul_byte_in_any_field_causes_no_error``; about 45 s for the
whole file. ``IML_HOSTILE_EXAMPLES=250 IML_HOSTILE_RANDOM=1`` makes a longer, randomised
campaign (about 8 minutes); by default the examples are derandomised (the same on every run,
so that the suite is stable and a failure reproducible).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import uuid
from collections.abc import Callable
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from iml.models import Role
from iml.scoping import OrganisationOwned, organisation_context
from tests import hostile
from tests.housing.factories import LandlordFactory
from tests.test_isolation_sweep import all_url_patterns, sample_kwargs

EXAMPLES = int(os.environ.get("IML_HOSTILE_EXAMPLES", "15"))
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("IML_HOSTILE_RANDOM"),
    database=None,  # no example database (.hypothesis/ keeps only caches, git-ignored)
    print_blob=True,
    suppress_health_check=[
        # The examples of one URL share its world (built once, on purpose): each example
        # rolls back what it wrote.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,  # requests of known bugs are left out (rare)
    ],
)

ROLE_ORDER = [Role.HEAD, Role.ADMIN, Role.REGISSEUR, Role.SOCIAL_WORKER]
REDIRECTS = (301, 302, 303, 307, 308)
PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _view(name: str, kwargs: list[str]):
    return resolve(reverse(name, kwargs=dict.fromkeys(kwargs, PLACEHOLDER))).func


def _is_django_auth_view(view) -> bool:
    view_class = getattr(view, "view_class", None)
    return view_class is not None and view_class.__module__ == "django.contrib.auth.views"


PATTERNS = all_url_patterns()
DJANGO_AUTH_VIEWS = sorted(name for name, kw in PATTERNS if _is_django_auth_view(_view(name, kw)))
ENDPOINTS = [(name, kwargs) for name, kwargs in PATTERNS if name not in DJANGO_AUTH_VIEWS]
SKIPPED = set(DJANGO_AUTH_VIEWS)
URL_KWARGS = dict(PATTERNS)


@dataclasses.dataclass(frozen=True)
class KnownBug:
    """A server error found by this test and not fixed with it (its code is outside the
    forms this test may fix). ``test_known_bugs`` replays ``method`` + ``data`` on the URL,
    expected to fail (strict: once fixed, it passes and the entry is to be removed); the
    sweep leaves out the requests ``triggered_by`` matches, so that it stays green."""

    url_name: str
    method: str
    data: dict[str, list[str]]
    reason: str
    triggered_by: Callable[[dict[str, list[str]]], bool]


KNOWN_BUGS: list[KnownBug] = [
    # Fixed: two_factor_verify's ?next=<bare word> (NoReverseMatch, 500); regression test in
    # tests/iml/test_security.py. Add here a request that still fails, with its reason.
]


# --- The world, and what its pages contain --------------------------------------------------


@pytest.fixture
def world(org_a, members_a):
    return {"org": org_a, "members": members_a, "samples": sample_kwargs(org_a)}


def _url(name: str, kwargs: list[str], samples: dict) -> str:
    return reverse(name, kwargs={k: samples[k] for k in kwargs})


def _target(page_url: str, action: str) -> tuple[str, str] | None:
    """The URL name and path a form of ``page_url`` sends to, or None (off-site, skipped)."""
    parts = urlsplit(urljoin(page_url, action))
    if parts.netloc and parts.netloc != "testserver":
        return None
    try:
        return resolve(parts.path).view_name, parts.path
    except Resolver404:
        return None


@dataclasses.dataclass
class Endpoint:
    name: str
    role: Role | None = None  # the member who uses it (None: found out by posting)
    page: str | None = None  # the URL name of a page with a form posting to it
    viewable: bool = False  # its own page answers 200 to ``role``
    post_only: bool = False
    get_form: bool = False  # its page has a filter form (GET)


_DISCOVERED: dict[str, Endpoint] = {}


def discover(client, world) -> dict[str, Endpoint]:
    """Reads every page once (per test session) as the first role allowed to see it.

    Only the structure is kept (which page holds which form, for whom): the forms
    themselves are read again in each test, whose sample objects have new identifiers.
    """
    if _DISCOVERED:
        return _DISCOVERED
    members, samples = world["members"], world["samples"]
    found = {name: Endpoint(name) for name, _ in ENDPOINTS}
    for name, kwargs in ENDPOINTS:
        url = _url(name, kwargs, samples)
        for role in ROLE_ORDER:
            client.force_login(members[role].user)
            response = client.get(url)
            if response.status_code == 405:
                found[name].post_only = True
                break
            if response.status_code != 200:
                continue
            found[name].viewable, found[name].role = True, found[name].role or role
            for form in _page_forms(response):
                target = _target(url, form.action)
                if target is None or target[0] in SKIPPED:
                    continue
                endpoint = found[target[0]]
                if form.method == "get":
                    endpoint.get_form |= target[0] == name
                elif endpoint.page is None or target[0] == name:
                    endpoint.page, endpoint.role = name, role
            break
    client.logout()
    _DISCOVERED.update(found)
    return _DISCOVERED


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html") and not response.streaming


def _page_forms(response) -> list[hostile.Form]:
    return hostile.parse_forms(response.content.decode()) if _is_html(response) else []


def forms_of(client, page_url: str, target_name: str, method: str) -> list[hostile.Form]:
    response = client.get(page_url)
    assert response.status_code == 200, f"GET {page_url}: {response.status_code}"
    return [
        form
        for form in _page_forms(response)
        if form.method == method and (_target(page_url, form.action) or ("",))[0] == target_name
    ]


# --- Checks ---------------------------------------------------------------------------------


# Append-only journals that a page view writes to, refused post or not: their existing rows
# must not change, new rows are expected.
READ_LOGS = {"iml.AccessLog": "who opened which household or person page (CNIL)"}


def project_models():
    """Models of the project's own apps (not of Django or of third-party packages)."""
    base = os.path.realpath(django_settings.BASE_DIR)
    return [
        model
        for model in apps.get_models()
        if os.path.dirname(os.path.realpath(model._meta.app_config.path)) == base
    ]


def _rows(model, organisation):
    if issubclass(model, OrganisationOwned):
        return model.all_organisations.filter(organisation=organisation)
    return model._base_manager.all()


def snapshot(organisation) -> dict[str, list[dict]]:
    """Every row of every project model that organisation A can see, read as A."""
    with organisation_context(organisation):
        return {
            model._meta.label: list(_rows(model, organisation).order_by("pk").values())
            for model in project_models()
        }


def _where(model, organisation) -> tuple[list[str], list]:
    if issubclass(model, OrganisationOwned):
        return ["t.organisation_id = %s"], [organisation.pk]
    return [], []


def read_log_bounds(organisation) -> dict[str, int | None]:
    """The last row of each read log, as A sees them."""
    logs = [m for m in project_models() if m._meta.label in READ_LOGS]
    if not logs:
        return {}
    columns, params = [], []
    for model in logs:
        where, args = _where(model, organisation)
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        columns.append(
            f'(SELECT max(t."{model._meta.pk.column}") FROM "{model._meta.db_table}" t{condition})'
        )
        params += args
    with organisation_context(organisation), connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        return {m._meta.label: v for m, v in zip(logs, cursor.fetchone(), strict=True)}


def fingerprint(organisation, bounds: dict[str, int | None]) -> dict[str, str]:
    """``snapshot`` in one query: a digest of each table's rows as A sees them (read logs up
    to their last row at ``bounds``: their new rows are expected)."""
    models, columns, params = project_models(), [], []
    for model in models:
        pk = model._meta.pk.column
        where, args = _where(model, organisation)
        if model._meta.label in READ_LOGS:
            where.append(f't."{pk}" <= %s')
            args.append(bounds[model._meta.label] or 0)
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        columns.append(
            f"(SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t.\"{pk}\"), ''))"
            f' FROM "{model._meta.db_table}" t{condition})'
        )
        params += args
    with organisation_context(organisation), connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        return {m._meta.label: v for m, v in zip(models, cursor.fetchone(), strict=True)}


def _changes(before: dict, after: dict) -> str:
    lines = []
    for label, rows in after.items():
        if rows != before.get(label):
            old = {row["id"]: row for row in before.get(label, [])}
            new = {row["id"]: row for row in rows}
            added = [hostile.shorten(new[k]) for k in new.keys() - old.keys()]
            removed = sorted(old.keys() - new.keys())
            changed = {
                k: {f: hostile.shorten(v) for f, v in new[k].items() if old[k].get(f) != v}
                for k in new.keys() & old.keys()
                if new[k] != old[k]
            }
            if label in READ_LOGS and not (removed or changed):
                continue
            lines.append(f"{label}: added {added}, removed {removed}, changed {changed}")
    return "\n".join(lines)


def assert_escaped(response, where: str) -> None:
    """No hostile markup verbatim in an HTML page (downloads, JSON and PDF, are not pages)."""
    if not _is_html(response):
        return
    body = response.content.decode(errors="replace")
    for signature in hostile.SIGNATURES:
        assert signature not in body, f"{where}: unescaped {signature!r} in the page"


def assert_on_site(response, where: str) -> str:
    location = response["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver"), (
        f"{where}: redirection off the site, to {location!r}"
    )
    assert not location.startswith(("//", "/\\")), f"{where}: redirection to {location!r}"
    return location


def _request(client, method: str, url: str, data: dict, encoding: str, files: dict):
    if method == "get":
        return client.get(url, data)
    if encoding == "urlencoded" and not files:
        body = urlencode([(k, v) for k, values in data.items() for v in values])
        return client.post(url, body, content_type="application/x-www-form-urlencoded")
    return client.post(url, {**data, **files})


class _Wrote(Exception):
    """A refused request changed rows: carries them, out of the savepoint that undoes it."""


def hostile_request(client, organisation, method, url, data, *, encoding, files, revisit):
    """One request, in a savepoint rolled back at the end; every check of the module."""
    where = f"{method.upper()} {url} ({encoding}) with {hostile.shorten(data)}"
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            bounds = read_log_bounds(organisation)
            before = fingerprint(organisation, bounds)
            try:
                with transaction.atomic():
                    _checked_request(client, organisation, method, url, data, encoding, files,
                                     revisit, where, before, bounds)  # fmt: skip
            except _Wrote as wrote:
                # The inner savepoint is rolled back: the rows as they were before.
                changes = _changes(snapshot(organisation), wrote.args[0])
                pytest.fail(f"{where}: refused but wrote:\n{changes}")
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def _checked_request(client, organisation, method, url, data, encoding, files, revisit, where,
                     before, bounds):  # fmt: skip
    try:
        response = _request(client, method, url, data, encoding, files)
    except Exception as error:
        pytest.fail(f"{where}: server error {type(error).__name__}: {error}")
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert_escaped(response, where)
    if response.status_code in REDIRECTS:
        # Accepted (or sent elsewhere): nothing invisible or implausible was stored, and what
        # was stored is shown escaped.
        assert_nothing_invisible_stored(organisation, where)
        location = assert_on_site(response, where)
        for page in dict.fromkeys([location, *revisit]):
            shown = client.get(page)
            assert shown.status_code < 500, f"{where}, then GET {page}: {shown.status_code}"
            assert_escaped(shown, f"{where}, then GET {page}")
    elif fingerprint(organisation, bounds) != before:
        raise _Wrote(snapshot(organisation))


# Characters no stored text may hold (``iml.validators``, restated here): controls but tab and
# line breaks, bidirectional embeddings / overrides / isolates, zero-width marks, BOM; and, in a
# one-line column (varchar), tabs and line breaks.
INVISIBLE = (
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
ONE_LINE = INVISIBLE[:-1] + "\t\n\r\u2028\u2029]"
STORED_CHECKS: list[str] | None = None


def _stored_checks() -> list[str]:
    """One condition per text, varchar, text-array and date column of the project's tables
    (organisation tables only: what a user of A writes)."""
    global STORED_CHECKS
    if STORED_CHECKS is None:
        tables = {m._meta.db_table for m in project_models() if issubclass(m, OrganisationOwned)}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, column_name, data_type, udt_name "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = ANY(%s)",
                [sorted(tables)],
            )
            columns = cursor.fetchall()
        checks = []
        for table, column, data_type, udt in columns:
            if data_type == "text" or udt == "_text":
                value = (
                    f"array_to_string(t.\"{column}\", ' ')" if udt == "_text" else f't."{column}"'
                )
                checks.append((table, f"{value} ~ %(invisible)s"))
            elif data_type == "character varying" or udt == "_varchar":
                value = (
                    f"array_to_string(t.\"{column}\", ' ')"
                    if udt == "_varchar"
                    else f't."{column}"'
                )
                checks.append((table, f"{value} ~ %(one_line)s"))
            elif data_type == "date":
                checks.append(
                    (table, f"t.\"{column}\" NOT BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'")
                )
        STORED_CHECKS = [
            f"SELECT '{table}' FROM \"{table}\" t WHERE t.organisation_id = %(organisation)s "
            f"AND ({condition})"
            for table, condition in checks
        ]
    return STORED_CHECKS


def assert_nothing_invisible_stored(organisation, where: str) -> None:
    with organisation_context(organisation), connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(_stored_checks()) + " LIMIT 1",
            {"organisation": organisation.pk, "invisible": INVISIBLE, "one_line": ONE_LINE},
        )
        found = cursor.fetchone()
    assert found is None, (
        f"{where}: stored an invisible character or an implausible date in {found}"
    )


# --- The sweep ------------------------------------------------------------------------------


def _choose_role(client, world, url: str) -> Role:
    """For a URL that no page links to with a form: the first role a post is not refused to."""
    for role in ROLE_ORDER:
        client.force_login(world["members"][role].user)
        with transaction.atomic():
            status = client.post(url, {}).status_code
            transaction.set_rollback(True)
        if status != 403:
            return role
    return ROLE_ORDER[0]


@pytest.fixture
def target(client, world, name, kwargs):
    """The URL under test, its user (logged in), its forms and the pages that show data."""
    endpoints = discover(client, world)
    endpoint = endpoints[name]
    samples = world["samples"]
    url = _url(name, kwargs, samples)
    role = endpoint.role or _choose_role(client, world, url)
    client.force_login(world["members"][role].user)
    page_url = _url(endpoint.page, URL_KWARGS[endpoint.page], samples) if endpoint.page else None
    return {
        "url": url,
        "viewable": endpoint.viewable,
        "post": forms_of(client, page_url, name, "post") if page_url else [],
        "get": forms_of(client, url, name, "get") if endpoint.get_form else [],
        "shown": [_url(n, k, samples) for n, k in ENDPOINTS if endpoints[n].viewable],
        "revisit": [u for u in (url if endpoint.viewable else None, page_url) if u],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), [pytest.param(*e, id=e[0]) for e in ENDPOINTS])
def test_hostile_input_is_refused_or_stored_escaped(client, world, target, name, kwargs):
    # Fewer examples where the page posts no form (its view most likely ignores a post).
    examples = EXAMPLES if target["post"] or target["get"] else max(3, EXAMPLES // 4)

    strategies = {
        method: [(form, hostile.form_data(form.fields)) for form in target[method]]
        for method in ("post", "get")
    }
    no_form = hostile.Form("", ""), hostile.form_data({})  # unexpected keys only
    known_bugs = [bug for bug in KNOWN_BUGS if bug.url_name == name]

    @settings(HOSTILE, max_examples=examples)
    @given(data=st.data())
    def hostile_examples(data):
        method = data.draw(
            st.sampled_from(["post", "post", "post", "get"])
            if target["viewable"]
            else st.just("post"),
            label="method",
        )
        forms = strategies[method]
        form, form_data = data.draw(st.sampled_from(forms), label="form") if forms else no_form
        values = data.draw(form_data, label="values")
        if not form.fields and not values:
            values = {"champ": [data.draw(hostile.hostile_value(), label="value")]}
        files = {}
        for field in form.fields.values():
            if field.kind == "file" and data.draw(st.booleans(), label=f"{field.name} sent"):
                file_name, content = data.draw(hostile.file_content(), label=field.name)
                files[field.name] = SimpleUploadedFile(file_name, content)
        for bug in known_bugs:
            if bug.triggered_by(values):
                event(f"left out, known bug: {bug.reason[:60]}")
                reject()
        encoding = data.draw(st.sampled_from(["urlencoded", "multipart"]), label="encoding")
        revisit = list(target["revisit"])
        if target["shown"]:
            revisit.append(data.draw(st.sampled_from(target["shown"]), label="shown again on"))
        hostile_request(
            client,
            world["org"],
            method,
            target["url"],
            values,
            encoding=encoding,
            files=files,
            revisit=revisit,
        )

    hostile_examples()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "kwargs", "bug"),
    [
        pytest.param(
            bug.url_name,
            URL_KWARGS[bug.url_name],
            bug,
            id=f"{bug.url_name}-{bug.method}",
            marks=pytest.mark.xfail(strict=True, reason=bug.reason),
        )
        for bug in KNOWN_BUGS
    ],
)
def test_known_bugs(client, world, target, name, kwargs, bug):
    """The requests that still fail, replayed with the sweep's checks (see ``KNOWN_BUGS``)."""
    hostile_request(
        client,
        world["org"],
        bug.method,
        target["url"],
        bug.data,
        encoding="urlencoded",
        files={},
        revisit=[],
    )


NUL = "Nul\x00<script>alert(1)</script>"


@pytest.mark.django_db
def test_a_nul_byte_in_any_field_causes_no_error(client, world):
    """The sweep, made exhaustive for NUL bytes (PostgreSQL refuses them in text): each field
    of each form in turn gets one, the others keep the page's values (an edit form's are
    valid, so the NUL is the only fault)."""
    endpoints, samples, organisation = discover(client, world), world["samples"], world["org"]
    posted = 0
    for name, kwargs in ENDPOINTS:
        endpoint = endpoints[name]
        if not endpoint.page:
            continue
        client.force_login(world["members"][endpoint.role].user)
        page, url = (
            _url(endpoint.page, URL_KWARGS[endpoint.page], samples),
            _url(name, kwargs, samples),
        )
        for form in forms_of(client, page, name, "post")[:1]:
            sent = {n: f for n, f in form.fields.items() if f.kind not in ("button", "file")}
            values = {n: list(f.initial) for n, f in sent.items() if f.initial}
            for field_name in sent:
                data = {**values, field_name: [NUL]}
                if any(b.url_name == name and b.triggered_by(data) for b in KNOWN_BUGS):
                    continue
                hostile_request(
                    client,
                    organisation,
                    "post",
                    url,
                    data,
                    encoding="urlencoded",
                    files={},
                    revisit=[],
                )
                posted += 1
    assert posted >= 100


# --- The sweep covers what it should --------------------------------------------------------


def test_only_django_auth_views_are_left_out():
    assert set(DJANGO_AUTH_VIEWS) == {
        "login",
        "logout",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
    }, "a view of django.contrib.auth was added or removed: is its input Django's alone?"
    assert len(ENDPOINTS) >= 40


@pytest.mark.django_db
def test_forms_are_found_in_the_pages(client, world):
    """The discovery reads the project's forms: every form page and button form is found."""
    endpoints = discover(client, world)
    samples = world["samples"]
    summary = []
    for name, _ in ENDPOINTS:
        endpoint = endpoints[name]
        if not endpoint.page:
            continue
        client.force_login(world["members"][endpoint.role].user)
        page = _url(endpoint.page, URL_KWARGS[endpoint.page], samples)
        forms = forms_of(client, page, name, "post")
        fields = {f for form in forms for f in form.fields}
        summary.append((name, endpoint.role, len(fields)))
    print("\n".join(f"{n}: {r} {c} fields" for n, r, c in summary))
    with_fields = {n for n, _, c in summary if c}
    for name in (
        "households:household_orient",
        "tenancy:household_exit",
        "housing:unit_create",
        "housing:prospect_capture",
        "dispositif_create",
        "member_invite",
    ):
        assert name in with_fields, f"no form found for {name}"
    # Button forms without a field are found too.
    assert "member_deactivate" in {n for n, _, _ in summary}


# --- The checks see what they should --------------------------------------------------------


def test_forms_are_read_from_the_html():
    html = """
    <form method="post" action="/x/">
      <input type="hidden" name="csrfmiddlewaretoken" value="jeton">
      <input name="a" value="1" maxlength="5" inputmode="numeric"><input type="date" name="d">
      <input type="checkbox" name="c" value="x" checked><input type="checkbox" name="c" value="y">
      <select name="s"><option value="">—</option><option value="k" selected>K</option></select>
      <select name="m" multiple><option value="1">1</option><option value="2" selected>2</option>
      </select>
      <textarea name="t">bonjour</textarea><button name="go" value="oui">Go</button>
    </form>
    <form><input name="q"></form>
    <input name="hors_formulaire">
    """
    post, get = hostile.parse_forms(html)
    assert (post.method, post.action, get.method, list(get.fields)) == ("post", "/x/", "get", ["q"])
    fields = post.fields
    assert list(fields) == ["a", "d", "c", "s", "m", "t", "go"]
    assert (fields["a"].maxlength, fields["a"].inputmode, fields["a"].initial) == (
        5,
        "numeric",
        ["1"],
    )
    assert (fields["c"].options, fields["c"].initial, fields["c"].multiple) == (
        ["x", "y"],
        ["x"],
        True,
    )
    assert (fields["s"].options, fields["s"].initial) == (["", "k"], ["k"])
    assert (fields["m"].multiple, fields["m"].initial) == (True, ["2"])
    assert (fields["t"].initial, fields["go"].options) == (["bonjour"], ["oui"])


@pytest.mark.django_db
def test_the_checks_see_markup_writes_and_offsite_redirections(org_a):
    assert_escaped(HttpResponse("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"), "escaped")
    for raw in (
        "<p><script>alert(1)</script></p>",
        '<input value="" autofocus onfocus="alert(1)">',
    ):
        with pytest.raises(AssertionError):
            assert_escaped(HttpResponse(raw), "raw")
    assert_escaped(HttpResponse("<script>alert(1)</script>", content_type="application/json"), "")
    assert_on_site(HttpResponseRedirect("/menages/"), "on site")
    for location in ("https://evil.example/", "//evil.example/"):
        with pytest.raises(AssertionError):
            assert_on_site(HttpResponseRedirect(location), "off site")

    bounds = read_log_bounds(org_a)
    before = fingerprint(org_a, bounds)
    LandlordFactory(organisation=org_a, name="Nouveau bailleur")
    assert fingerprint(org_a, bounds) != before, "a new row goes unnoticed"

    # A page view adds to the read logs: expected, not a write.
    for label in READ_LOGS:
        model = apps.get_model(label)
        record = {"organisation": org_a, "action": "view", "object_type": "household"}
        model.all_organisations.create(**record, object_id=uuid.uuid4(), path="/menages/")
        bounds = read_log_bounds(org_a)
        before = fingerprint(org_a, bounds)
        model.all_organisations.create(**record, object_id=uuid.uuid4(), path="/menages/")
        assert fingerprint(org_a, bounds) == before
        model.all_organisations.filter(organisation=org_a).update(path="/autre/")
        assert fingerprint(org_a, bounds) != before, "a changed read log goes unnoticed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Bailleur \u202eevil"),  # a right-to-left override in a one-line text
        ("name", "Bailleur\nsur deux lignes"),
        ("notes", "zéro\u200blargeur"),
    ],
)
def test_the_checks_see_invisible_characters_stored(org_a, field, value):
    assert_nothing_invisible_stored(org_a, "clean")
    landlord = LandlordFactory(organisation=org_a)
    type(landlord).all_organisations.filter(pk=landlord.pk).update(**{field: value})
    with pytest.raises(AssertionError, match="invisible"):
        assert_nothing_invisible_stored(org_a, "planted")


def test_invisible_characters_and_implausible_dates_are_refused_by_every_model(org_a):
    """The services' full_clean refuses them, field by field, in French."""
    from django.core.exceptions import ValidationError

    from tests.households.factories import HouseholdFactory

    household = HouseholdFactory.build(organisation=org_a, reference="M\u202e1")
    household.orientation_date = datetime.date(1, 1, 1)
    household.orienting_structure = "CADA\u2066 Le Pont"
    with pytest.raises(ValidationError) as error:
        household.full_clean(exclude=["dispositif"])
    messages = error.value.message_dict
    assert "Caractère invisible" in messages["reference"][0]
    assert "Date invraisemblable" in messages["orientation_date"][0]
    assert "orienting_structure" in messages
    household.reference = "M1\nM2"
    household.orientation_date = datetime.date(2025, 1, 1)
    household.orienting_structure = "CADA"
    with pytest.raises(ValidationError, match="sur une ligne"):
        household.full_clean(exclude=["dispositif"])
