"""Backups: pg_dump and pg_restore, run as a role that bypasses row-level security.

Why a third role: every organisation table has FORCE ROW LEVEL SECURITY, so neither the
application role (``iml_app``) nor the owner (``iml_owner``) sees every row, and pg_dump refuses
to dump a table partially ("query would be affected by row-level security policy"). Backups
connect with ``DATABASE_BACKUP_URL`` (server and credentials; the database is always the
application's): a superuser, or a role with BYPASSRLS that may also create databases and act as
the owner (README, "Backups"). In development, without it, the embedded server's superuser
``postgres`` is used.

The archive (custom format) keeps ownership, grants, policies and FORCE, so restoring it as such
a role gives back the database as it was: owned by the owner, usable by the application role,
under row-level security. It is restored into a new database renamed over the old one at the
end, so that a damaged archive or a failed restore leaves the current database untouched.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

BACKUP_URL_VARIABLE = "DATABASE_BACKUP_URL"
# A directory holding pg_dump and pg_restore, to use those rather than the ones found.
BIN_DIR_VARIABLE = "PG_BIN_DIR"
# DROP, CREATE and RENAME DATABASE are run from another database of the server.
MAINTENANCE_DATABASE = "postgres"
STAGING_SUFFIX = "__restauration"
# The embedded server's superuser (pgserver).
EMBEDDED_SUPERUSER = "postgres"


class BackupError(Exception):
    """A backup or a restore could not be done; the message says why, in French."""


@dataclass(frozen=True)
class Server:
    """Where and as whom the tools connect: libpq keywords, the password apart (given in
    ``PGPASSWORD``, so that it never shows in the process list)."""

    dbname: str
    params: dict[str, str] = field(default_factory=dict)
    password: str | None = None

    def conninfo(self, dbname: str | None = None) -> str:
        return make_conninfo(**self.params, dbname=dbname or self.dbname)

    def environ(self) -> dict[str, str]:
        if not self.password:  # libpq may still find one in PGPASSWORD or ~/.pgpass
            return dict(os.environ)
        return {**os.environ, "PGPASSWORD": self.password}

    def connect(self, dbname: str | None = None) -> psycopg.Connection:
        try:
            return psycopg.connect(
                self.conninfo(dbname), password=self.password or None, autocommit=True
            )
        except psycopg.OperationalError as error:
            raise BackupError(
                f"Connexion impossible à {self.describe(dbname)} : {_first_line(error)}"
            ) from error

    def describe(self, dbname: str | None = None) -> str:
        where = self.params.get("host", "localhost")
        if "port" in self.params:
            where += f":{self.params['port']}"
        return f"la base « {dbname or self.dbname} » sur {where} (rôle {self.params.get('user')})"


def backup_server(alias: str = DEFAULT_DB_ALIAS) -> Server:
    """The application's database, reached as the backup role."""
    app = connections[alias].settings_dict
    url = os.environ.get(BACKUP_URL_VARIABLE)
    if url:
        params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v not in (None, "")}
        # The database is the application's one (which tests point elsewhere), not the URL's.
        params.pop("dbname", None)
        return Server(dbname=app["NAME"], params=params, password=params.pop("password", None))
    if _uses_embedded_server(app):
        params = {"host": app["HOST"], "user": EMBEDDED_SUPERUSER}
        if app.get("PORT"):
            params["port"] = str(app["PORT"])
        return Server(dbname=app["NAME"], params=params)
    raise BackupError(
        f"{BACKUP_URL_VARIABLE} n’est pas défini : une sauvegarde doit se connecter avec un rôle "
        "qui contourne la sécurité au niveau des lignes (superutilisateur ou BYPASSRLS), ni "
        "iml_app ni iml_owner ne voyant toutes les lignes. Voir README, « Backups »."
    )


def _uses_embedded_server(app: dict) -> bool:
    if getattr(settings, "PRODUCTION", False):
        return False
    from iml import devservices

    # Checked before asking pgserver, which would otherwise start a server.
    if not devservices.postgres_is_running():
        return False
    socket_dir = devservices.postgres_server().get_postmaster_info().socket_dir
    return str(app.get("HOST")) == str(socket_dir)


def owner_role(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The role owning the database (without DATABASE_OWNER_URL, the application's one)."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    return owner["USER"] if owner else connections[alias].settings_dict["USER"]


def default_output(dbname: str) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.BASE_DIR) / "backups" / f"{dbname}-{stamp}.dump"


# --- The tools ------------------------------------------------------------------------------


def _version(binary: Path) -> tuple[int, ...]:
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    match = re.search(r"(\d+)\.(\d+)", result.stdout)
    return (int(match[1]), int(match[2])) if match else (0,)


def find_tool(name: str) -> Path:
    """``PG_BIN_DIR`` if set; otherwise the newest of the embedded (pgserver wheel, in
    development) and the system binaries: pg_dump refuses a server newer than itself, and the
    system's may be older than PostgreSQL 16 (Debian 12 ships 15)."""
    if os.environ.get(BIN_DIR_VARIABLE):
        directories = [Path(os.environ[BIN_DIR_VARIABLE])]
    else:
        directories = []
        spec = importlib.util.find_spec("pgserver")
        if spec and spec.submodule_search_locations:
            directories.append(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")
        if system := shutil.which(name):
            directories.append(Path(system).parent)
    found = [d / name for d in directories if os.access(d / name, os.X_OK)]
    if not found:
        raise BackupError(
            f"{name} introuvable : installez le client PostgreSQL (paquet postgresql-client, "
            f"de la version du serveur au moins) ou indiquez son dossier dans {BIN_DIR_VARIABLE}."
        )
    return max(found, key=_version)


def _run(name: str, arguments: list[str], server: Server) -> subprocess.CompletedProcess:
    binary = find_tool(name)
    # umask: the archive holds personal data; only its owner may read it.
    result = subprocess.run(
        [str(binary), *arguments],
        env=server.environ(),
        capture_output=True,
        text=True,
        umask=0o077,
    )
    if result.returncode != 0:
        raise BackupError(_explain(name, binary, server, result))
    return result


def _explain(name: str, binary: Path, server: Server, result: subprocess.CompletedProcess) -> str:
    detail = result.stderr.strip()
    message = f"{name} a échoué (code {result.returncode})"
    if "server version mismatch" in detail:
        version = ".".join(map(str, _version(binary)))
        message += (
            f" : {binary} (version {version}) est plus ancien que le serveur ; installez le "
            f"client PostgreSQL de sa version ou indiquez son dossier dans {BIN_DIR_VARIABLE}"
        )
    elif "row-level security" in detail:
        user = server.params.get("user")
        message += f" : le rôle {user} ne contourne pas la sécurité au niveau des lignes"
    elif "authentication failed" in detail or "no password supplied" in detail:
        message += f" : authentification refusée, vérifiez {BACKUP_URL_VARIABLE}"
    return f"{message}.\n{detail}"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)


def check_role(server: Server) -> None:
    """Fail early, with a clear message, when the role would not see every row."""
    with server.connect(MAINTENANCE_DATABASE) as connection:
        superuser, bypass = connection.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    if not (superuser or bypass):
        raise BackupError(
            f"Le rôle {server.params.get('user')} n’est ni superutilisateur ni BYPASSRLS : il ne "
            "verrait pas toutes les lignes (sécurité au niveau des lignes forcée). Indiquez dans "
            f"{BACKUP_URL_VARIABLE} un rôle qui la contourne (README, « Backups »)."
        )


# --- Backup and restore ---------------------------------------------------------------------


def dump(server: Server, output: Path) -> int:
    """Write the database to ``output`` (custom format); return its size in bytes."""
    if output.exists():
        raise BackupError(f"{output} existe déjà : choisissez un autre nom.")
    check_role(server)
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written under another name first: an interrupted dump never looks like a backup.
    partial = output.with_name(output.name + ".partiel")
    try:
        # Owners and grants are kept (no --no-owner, no --no-acl): a restore gives them back.
        # --no-password: never wait for a prompt (make, cron); fail with the reason instead.
        _run(
            "pg_dump",
            [
                "--format=custom",
                "--no-password",
                f"--file={partial}",
                f"--dbname={server.conninfo()}",
            ],
            server,
        )
        partial.rename(output)
    finally:
        partial.unlink(missing_ok=True)
    return output.stat().st_size


@dataclass(frozen=True)
class ArchiveInfo:
    created: str
    dbname: str
    entries: int
    dumped_by: str


def inspect_archive(archive: Path) -> ArchiveInfo:
    """Read the archive's table of contents: it must be a readable pg_dump archive."""
    if not archive.is_file():
        raise BackupError(f"Archive introuvable : {archive}")
    result = subprocess.run(
        [str(find_tool("pg_restore")), "--list", str(archive)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(
            f"{archive} n’est pas une archive pg_dump lisible (format personnalisé, -Fc).\n"
            f"{result.stderr.strip()}"
        )
    header = dict(re.findall(r"^;\s+([^:\n]+?):\s*(.*)$", result.stdout, re.MULTILINE))
    created = re.search(r"^; Archive created at (.*)$", result.stdout, re.MULTILINE)
    return ArchiveInfo(
        created=created[1] if created else "?",
        dbname=header.get("dbname", "?"),
        entries=int(header.get("TOC Entries", "0")),
        dumped_by=header.get("Dumped by pg_dump version", "?"),
    )


def staging_name(dbname: str) -> str:
    return f"{dbname[: 63 - len(STAGING_SUFFIX)]}{STAGING_SUFFIX}"


def restore(server: Server, archive: Path, owner: str) -> None:
    """Replace the database by the archive's content (connections to it are cut)."""
    inspect_archive(archive)
    check_role(server)
    staging = staging_name(server.dbname)
    with _maintenance(server) as connection:
        # A leftover of an interrupted restore; template0: template1 may hold objects (an
        # extension…) that the archive would create a second time.
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(staging))
        )
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
                sql.Identifier(staging), sql.Identifier(owner)
            )
        )
    try:
        # Not --no-owner: the archive's ALTER … OWNER TO keep the owner owning every object,
        # and its GRANTs give the application role its rights back. Data are loaded before
        # row-level security is enabled (post-data section), so no policy gets in the way.
        _run(
            "pg_restore",
            [
                "--exit-on-error",
                "--no-password",
                f"--dbname={server.conninfo(staging)}",
                str(archive),
            ],
            server,
        )
    except BackupError:
        with _maintenance(server) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(staging))
            )
        raise
    with _maintenance(server) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(server.dbname))
        )
        connection.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(staging), sql.Identifier(server.dbname)
            )
        )


@contextlib.contextmanager
def _maintenance(server: Server) -> Iterator[psycopg.Connection]:
    with server.connect(MAINTENANCE_DATABASE) as connection:
        try:
            yield connection
        except psycopg.Error as error:
            raise BackupError(
                f"Échec sur le serveur ({server.describe()}) : {_first_line(error)}"
            ) from error
