"""Backups: a restore gives back the same rows, owners, grants and row-level security.

The real thing, on a database of its own: the shared test database runs inside transactions
and must be neither dumped nor dropped. That database is created by the owner role, migrated,
filled through the factories, dumped, changed, then restored by the management commands, and
dropped at the end. The default connection points to it during the test.
"""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from psycopg import sql

from households.models import EmploymentRecord, Household, ResourceRecord
from iml import backup
from iml.models import Dispositif
from iml.rls import organisation_transaction
from iml.scoping import organisation_context
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.households.factories import (
    EmploymentRecordFactory,
    HouseholdFactory,
    PersonFactory,
    ResourceRecordFactory,
)


def _connect(settings_dict: dict, **overrides: str) -> psycopg.Connection:
    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"] or None,
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
    }
    return psycopg.connect(**{**params, **overrides}, autocommit=True)


def _tools_or_skip() -> None:
    """Skip only when backups are impossible here: no pg_dump/pg_restore, or no role that
    bypasses row-level security (an external server without DATABASE_BACKUP_URL)."""
    try:
        backup.find_tool("pg_dump")
        backup.find_tool("pg_restore")
        backup.backup_server()
    except backup.BackupError as error:
        pytest.skip(f"sauvegarde impossible ici : {error}")


@pytest.fixture
def scratch(django_db_blocker):
    """A migrated database of its own, which the default connection points to; yields the
    backup role's access to it."""
    _tools_or_skip()
    admin = backup.backup_server()
    # A configured role that does not bypass row-level security is an error, not a skip.
    backup.check_role(admin)
    name = f"iml_backup_test_{os.getpid()}"
    # Created as the owner, as the test databases are (the owner has CREATEDB).
    owner = {**connection.settings_dict, **(settings.DATABASE_OWNER or {})}
    saved_name = connection.settings_dict["NAME"]
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    with django_db_blocker.unblock():
        try:
            with admin.connect(backup.MAINTENANCE_DATABASE) as db:
                # Left over by a killed run of the same process id.
                db.execute(drop.format(sql.Identifier(name)))
            with _connect(owner, dbname=backup.MAINTENANCE_DATABASE) as db:
                db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            connection.close()
            connection.settings_dict["NAME"] = name
            # Content type ids of this database must not stay cached for the other tests.
            ContentType.objects.clear_cache()
            call_command("migrate", verbosity=0)
            yield backup.backup_server()
        finally:
            connection.close()
            connection.settings_dict["NAME"] = saved_name
            ContentType.objects.clear_cache()
            with admin.connect(backup.MAINTENANCE_DATABASE) as db:
                for database in (name, backup.staging_name(name)):
                    db.execute(drop.format(sql.Identifier(database)))


def snapshot(server: backup.Server) -> dict[str, object]:
    """What a restore must give back, read as the backup role (which sees every row)."""
    with server.connect() as db:
        tables = db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        rows = {
            table: sorted(
                row
                for (row,) in db.execute(
                    sql.SQL("SELECT t::text FROM {} AS t").format(sql.Identifier(table))
                )
            )
            for (table,) in tables
        }
        queries = {
            "sequences": "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY 1",
            "owners, grants, row-level security": "SELECT relname, relkind, "
            "pg_get_userbyid(relowner), relacl::text, relrowsecurity, relforcerowsecurity "
            "FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1",
            "policies": "SELECT tablename, policyname, roles::text, cmd, qual, with_check "
            "FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2",
            "triggers": "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2",
            "database": "SELECT pg_get_userbyid(datdba), datacl::text FROM pg_database "
            "WHERE datname = current_database()",
        }
        return {"rows": rows} | {
            key: db.execute(query).fetchall() for key, query in queries.items()
        }


def test_a_restore_gives_back_the_same_data_under_row_level_security(scratch, tmp_path):
    # Each phase is one committed transaction, as a request is (the factories open a savepoint
    # per row, as their organisation).
    with transaction.atomic():
        alpha = OrganisationFactory(slug="sauvegarde-alpha", name="Association Alpha")
        beta = OrganisationFactory(slug="sauvegarde-beta", name="Association Bêta")
        for organisation in (alpha, beta):
            MembershipFactory(organisation=organisation, head=True)
            dispositif = DispositifFactory(
                organisation=organisation, code=f"IML-{organisation.slug}"
            )
            for _ in range(2):
                household = HouseholdFactory(
                    organisation=organisation, dispositif=dispositif, present=True
                )
                person = PersonFactory(organisation=organisation, household=household)
                ResourceRecordFactory(organisation=organisation, household=household)
                EmploymentRecordFactory(organisation=organisation, person=person)
    before = snapshot(scratch)
    assert len(before["rows"]["households_household"]) == 4
    # What the restore must keep (compared below): the owner's table, RLS enabled and forced.
    security = {row[0]: row for row in before["owners, grants, row-level security"]}
    _, _, owner, _, enabled, forced = security["iml_dispositif"]
    assert (owner, enabled, forced) == (backup.owner_role(), True, True)

    archive = tmp_path / "iml.dump"
    out = StringIO()
    call_command("backup_database", "--output", str(archive), stdout=out)
    assert archive.stat().st_size > 0 and "Sauvegarde de" in out.getvalue()
    assert archive.stat().st_mode & 0o077 == 0, "personal data: readable by its owner only"

    # Changes after the backup, in both organisations.
    with transaction.atomic():
        with organisation_context(alpha):
            Dispositif.objects.update(name="Renommé après la sauvegarde")
            EmploymentRecord.objects.all().delete()
        with organisation_context(beta):
            ResourceRecord.objects.all().delete()
        HouseholdFactory(organisation=alpha, dispositif__code="IML-NOUVEAU")
        OrganisationFactory(slug="apres-la-sauvegarde")
    changed = snapshot(scratch)
    assert changed["rows"] != before["rows"]

    # Without --wet-run: the plan, and nothing done.
    out = StringIO()
    call_command("restore_database", str(archive), stdout=out)
    assert "Simulation" in out.getvalue() and "--wet-run" in out.getvalue()
    assert snapshot(scratch) == changed

    call_command("restore_database", str(archive), "--wet-run", stdout=StringIO())
    after = snapshot(scratch)
    for key in before:
        assert after[key] == before[key], f"{key} differ after the restore"

    # The application role uses the restored database, under row-level security.
    with _connect(connection.settings_dict) as app:
        assert app.execute("SELECT current_user").fetchone()[0] == settings.DATABASE_APP_ROLE
        assert app.execute("SELECT count(*) FROM iml_dispositif").fetchone()[0] == 0
        with app.transaction():
            app.execute("SELECT set_config('iml.organisation_id', %s, true)", [str(alpha.pk)])
            codes = app.execute("SELECT code FROM iml_dispositif").fetchall()
        assert codes == [("IML-sauvegarde-alpha",)]
    with organisation_transaction(beta):
        assert Household.objects.count() == 2
        assert ResourceRecord.objects.count() == 2


def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path: Path):
    try:
        backup.find_tool("pg_restore")
    except backup.BackupError as error:
        pytest.skip(str(error))
    archive = tmp_path / "pas-une-archive.dump"
    archive.write_text("bonjour")
    with pytest.raises(CommandError, match="n’est pas une archive pg_dump lisible"):
        call_command("restore_database", str(archive))
