"""``make run``: migrate, load demo data, run web + Celery worker + beat until Ctrl-C.

Embedded PostgreSQL / Redis that this command had to start are stopped on exit; servers that
were already running, or given by DATABASE_URL / REDIS_URL, are left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

from iml import devservices

HOST = os.environ.get("IML_HOST", "127.0.0.1")
PORT = os.environ.get("IML_PORT", "8000")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C (even when started from a shell that ignores it) and SIGTERM stop everything.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if not _port_is_free():
        print(f"Le port {PORT} est déjà utilisé (un autre « make run » ?) : "
              "arrêtez-le ou choisissez IML_PORT=8001.", file=sys.stderr)  # fmt: skip
        return 1
    started_postgres = "DATABASE_URL" not in os.environ and not devservices.postgres_is_running()
    started_redis = "REDIS_URL" not in os.environ and not devservices.redis_is_running()
    python = sys.executable
    manage = [python, "manage.py"]
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "true")}
    # E-mails written outside a request (digest, export notices) link to the port served.
    env.setdefault("SITE_URL", f"http://{HOST}:{PORT}")
    if "DATABASE_URL" not in env:
        env["DATABASE_URL"], env["DATABASE_OWNER_URL"] = devservices.ensure_postgres()
    if "REDIS_URL" not in env:
        env["REDIS_URL"] = devservices.ensure_redis()
    children: list[subprocess.Popen] = []
    try:
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True)
        commands = {
            "web": [*manage, "runserver", f"{HOST}:{PORT}"],
            "worker": [python, "-m", "celery", "-A", "iml", "worker", "-l", "info",
                       "--concurrency", "2", "-n", "worker@%h"],
            "beat": [python, "-m", "celery", "-A", "iml", "beat", "-l", "info"],
        }  # fmt: skip
        for command in commands.values():
            # A process group of its own: Ctrl-C reaches this script, which stops them in order.
            children.append(subprocess.Popen(command, env=env, start_new_session=True))
        _print_banner()
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("Un processus s’est arrêté : arrêt de l’ensemble.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nArrêt demandé (Ctrl-C)…")
        return 0
    except subprocess.CalledProcessError as error:
        print(f"Échec : {' '.join(error.cmd)}", file=sys.stderr)
        return error.returncode
    finally:
        # A second Ctrl-C must not interrupt the orderly shutdown below.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                # The whole group: runserver's autoreloader runs the server in a child process.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
        if started_redis:
            devservices.stop_redis()
        if started_postgres:
            devservices.stop_postgres()


def _port_is_free() -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the web server will: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, int(PORT)))
        except OSError:
            return False
    return True


def _print_banner() -> None:
    from iml.demo import DEMO_PASSWORD, DEMO_SECOND_FACTOR, demo_logins, funder_logins

    lines = [
        "",
        f"  IML est prêt : http://{HOST}:{PORT}/",
        f"  Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :",
        *[f"    {email:<28} {role:<36} {org}" for org, email, role in demo_logins()],
        *[f"    {email:<28} {role:<36} {org}" for org, email, role in funder_logins()],
        f"  Chef·fes, administrateurs et financeurs : code de vérification {DEMO_SECOND_FACTOR}.",
        "  Ctrl-C arrête le serveur web, le worker et beat.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
