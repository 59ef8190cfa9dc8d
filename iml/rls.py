"""Row-level security in PostgreSQL: the second wall between organisations.

Every organisation table has ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and a policy that
lets a row be read or written only when its ``organisation_id`` equals the transaction's
``iml.organisation_id`` setting. The application connects as a role that owns no table and
is neither superuser nor BYPASSRLS, so a query that forgets its filter (raw SQL, a missing
``.filter``) still sees no other organisation's rows; without a setting it sees none at all.

The setting follows the scoping context (``iml.scoping``): before each query run inside a
transaction, ``_apply_setting`` makes ``set_config('iml.organisation_id', …, true)`` match the
current organisation, once per transaction and savepoint. ``true`` makes it local to the
transaction: it never leaks to the next one on the same connection. Queries outside a
transaction get no setting, hence no organisation rows (fail closed): requests run in the
middleware's transaction, tasks and commands in ``organisation_transaction``.

Policies, grants and the checks are (re)applied after every ``migrate`` by the owner
(``apply_policies``), so a new table is born under row-level security.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from iml.scoping import OrganisationOwned, current_organisation_id_or_none, organisation_context

ORGANISATION_SETTING = "iml.organisation_id"
USER_SETTING = "iml.user_id"
POLICY = "iml_organisation_isolation"
PROJECT_APPS = {"iml", "households", "housing", "tenancy", "support", "alerts", "reporting"}

# The logged-in user, so that the membership table shows a user their own memberships of
# every organisation (needed to choose one) and nothing else outside the current one.
_current_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_user_id", default=None
)

_SETTING_SQL = (
    f"SELECT set_config('{ORGANISATION_SETTING}', %s, true), set_config('{USER_SETTING}', %s, true)"
)


@contextlib.contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    token = _current_user_id.set(user_id)
    try:
        yield
    finally:
        _current_user_id.reset(token)


# Savepoint statements carry no data: applying the setting before them is useless, and
# impossible before a ROLLBACK TO SAVEPOINT that follows an error.
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _apply_setting(execute, sql, params, many, context):
    """Execute wrapper: bring the transaction's settings in line with the context first."""
    connection = context["connection"]
    if (
        connection.in_atomic_block
        and connection.vendor == "postgresql"
        and not connection.needs_rollback
        and not (isinstance(sql, str) and sql.startswith(_TRANSACTION_CONTROL))
    ):
        organisation_id = current_organisation_id_or_none()
        user_id = _current_user_id.get()
        # The outermost atomic block itself, not its id(): an id is reused as soon as the
        # previous transaction's object is freed, and would pass for the same transaction.
        outermost = connection.atomic_blocks[0] if connection.atomic_blocks else None
        stack = tuple(connection.savepoint_ids)
        applied = getattr(connection, "_iml_rls_applied", None)
        # Still valid: same transaction and values, and every savepoint open when it was set
        # is still open (a rolled back savepoint rolls back a setting made inside it).
        if applied is None or applied[0] is not outermost:
            # Nothing set yet in this transaction: the settings are empty, as wanted if so.
            valid = organisation_id is None and user_id is None
        else:
            valid = applied[2:] == (organisation_id, user_id) and (
                stack[: len(applied[1])] == applied[1]
            )
        if not valid:
            # Recorded before executing: this very query comes back through this wrapper.
            connection._iml_rls_applied = (outermost, stack, organisation_id, user_id)
            with connection.cursor() as cursor:
                cursor.execute(
                    _SETTING_SQL,
                    [
                        "" if organisation_id is None else str(organisation_id),
                        "" if user_id is None else str(user_id),
                    ],
                )
    return execute(sql, params, many, context)


def install(connection: BaseDatabaseWrapper, **kwargs) -> None:
    """``connection_created`` receiver: every connection applies the setting.

    Inserted first, not appended: a connection may open inside another library's
    ``connection.execute_wrapper()`` block (pghistory's request context), whose exit pops the
    *last* wrapper of the list; appended, ours would be the one removed.
    """
    if _apply_setting not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _apply_setting)


@contextlib.contextmanager
def organisation_transaction(organisation) -> Iterator[None]:
    """A transaction run as ``organisation``: the unit of work of tasks and commands.

    Its commit retires the organisation's cached aggregates (``iml.dataversion``): a task or a
    command may have written anything."""
    from iml import dataversion

    with transaction.atomic(), organisation_context(organisation):
        organisation_id = getattr(organisation, "pk", organisation)
        transaction.on_commit(partial(dataversion.touch, organisation_id))
        yield


# --- Owner side: policies and grants --------------------------------------------------------


def has_organisation_column(model) -> bool:
    return any(field.column == "organisation_id" for field in model._meta.concrete_fields)


def organisation_tables() -> list[str]:
    """Every table holding an operator's rows: the organisation-owned models and the history
    tables of their changes (which copy the organisation column)."""
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=False)
            if issubclass(model, OrganisationOwned)
            or (model._meta.app_label in PROJECT_APPS and has_organisation_column(model))
        }
    )


def _policy_condition(table: str) -> tuple[str, str]:
    organisation = (
        f"organisation_id = NULLIF(current_setting('{ORGANISATION_SETTING}', true), '')::bigint"
    )
    if table == "iml_membership":
        own = f"user_id = NULLIF(current_setting('{USER_SETTING}', true), '')::bigint"
        return f"({organisation}) OR ({own})", organisation
    return organisation, organisation


def apply_policies(using: str = "default") -> None:
    """Enable and force row-level security with the isolation policy on every organisation
    table, and grant the application role what it needs (idempotent)."""
    connection = connections[using]
    app_role = getattr(settings, "DATABASE_APP_ROLE", None)
    with connection.cursor() as cursor:
        for table in organisation_tables():
            using_sql, check_sql = _policy_condition(table)
            cursor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            cursor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            cursor.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
            cursor.execute(
                f'CREATE POLICY {POLICY} ON "{table}" USING ({using_sql}) WITH CHECK ({check_sql})'
            )
        current = connection.settings_dict["USER"]
        if app_role and app_role != current:
            role = f'"{app_role}"'
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


def post_migrate(sender, using: str = "default", **kwargs) -> None:
    """Runs once per migrate (for the core app), after every table exists."""
    if sender.name == "iml" and connections[using].vendor == "postgresql":
        apply_policies(using)


@contextlib.contextmanager
def as_owner(using: str = "default") -> Iterator[None]:
    """Connect as the owner role for the block (migrations, test database creation)."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    connection = connections[using]
    if not owner:
        yield
        return
    saved = {key: connection.settings_dict.get(key) for key in owner}
    connection.close()
    connection.settings_dict.update(owner)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
