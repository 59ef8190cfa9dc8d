"""Latency under load: the application served by gunicorn on loopback, and a bounded load
generator (closed loop: ``clients`` threads, each sending its next request as soon as the
previous one is answered, for a fixed duration).

The generator is a few threads on ``http.client`` (standard library): what is needed is a
fixed number of concurrent clients, a fixed duration and exact percentiles, which a load
tool such as Locust would bring with gevent and its own web interface.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int, log: Path) -> Iterator[int]:
    """Serve the application on a free loopback port for the block; yields the port.

    ``DEBUG`` is off, as in production (with it on, Django keeps every query in memory)."""
    port = free_port()
    env = {**os.environ, "DEBUG": "false"}
    command = [
        sys.executable, "-m", "gunicorn", "iml.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--timeout", "120",
    ]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port, "/sante/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start, see {log}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _answers(port: int, path: str) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False


@dataclass
class Latencies:
    """Milliseconds of the answered requests, and the failures."""

    samples: list[float]
    errors: int
    seconds: float

    def percentile(self, fraction: float) -> float:
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        # Nearest rank: the smallest sample with at least ``fraction`` of them at or below it.
        rank = max(1, -(-len(ordered) * fraction // 1))
        return ordered[int(rank) - 1]

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    @property
    def maximum(self) -> float:
        return max(self.samples, default=float("nan"))

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.seconds if self.seconds else 0.0


def load(
    port: int,
    paths: Sequence[str],
    cookies: str,
    *,
    clients: int,
    duration: float,
    think: float = 0.0,
    warmup: float = 1.0,
) -> Latencies:
    """``clients`` concurrent clients request ``paths`` in turn for ``duration`` seconds
    (after ``warmup`` seconds not counted); a non-200 answer is an error.

    With ``think`` > 0, each client waits between two requests a random time around
    ``think`` seconds (uniform, ±50 %), as a person reading the page would; with 0, the
    next request leaves as soon as the answer is in (the server is saturated)."""
    lock = threading.Lock()
    samples: list[float] = []
    errors = [0]
    start = time.monotonic()
    counted_from = start + warmup
    stop = counted_from + duration

    def client(offset: int) -> None:
        pause = random.Random(offset)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": cookies, "Accept-Language": "fr"}
        index = offset
        mine: list[float] = []
        failed = 0
        while (now := time.monotonic()) < stop:
            path = paths[index % len(paths)]
            index += clients
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except OSError:
                connection.close()
                ok = False
            elapsed = (time.monotonic() - now) * 1000
            if now >= counted_from:
                if ok:
                    mine.append(elapsed)
                else:
                    failed += 1
            if think:
                time.sleep(think * pause.uniform(0.5, 1.5))
        with lock:
            samples.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Latencies(samples, errors[0], duration)
