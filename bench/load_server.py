"""The server side of the load benchmark: the database, the demo park, gunicorn, CPU meters.

bench/serve_load.py measures the app as it is deployed (README, "Deploying"): gunicorn with
gthread workers, one a core, ``--reuse-port``, on SQLite by default or on a real PostgreSQL.
Everything listens on 127.0.0.1 only. The PostgreSQL cluster, when the benchmark starts one,
is a throwaway in a temporary folder and is stopped whatever way the run ends.
"""

import glob
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def circularity_command() -> str:
    beside = Path(sys.executable).with_name("circularity")
    found = beside if beside.exists() else shutil.which("circularity")
    if not found:
        sys.exit("the circularity command is not installed (pip install -e .)")
    return str(found)


def _installed_postgres() -> list[Path]:
    """Debian's PostgreSQL binaries, oldest major version first."""
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    return sorted(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def _postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries, installing Debian's package if none is."""
    if not _installed_postgres():
        print("installing PostgreSQL (apt-get install -y postgresql)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True)
    if not (found := _installed_postgres()):
        sys.exit("no PostgreSQL in /usr/lib/postgresql after apt-get install postgresql")
    return found[-1]


@contextmanager
def local_postgres() -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL cluster on 127.0.0.1: yields its URL and postmaster's pid.

    initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
    The socket directory is the cluster's own folder, so nothing is left in /run.
    """
    binaries = _postgres_bin()
    folder = tempfile.mkdtemp(prefix="circularity-bench-pg-")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    data, log = f"{folder}/data", f"{folder}/log"
    port = free_port()
    ctl = [*as_postgres, str(binaries / "pg_ctl"), "-D", data]
    try:
        subprocess.run(
            [*as_postgres, str(binaries / "initdb"), "-D", data, "-A", "trust", "-U", "postgres"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*ctl, "-o", options, "-l", log, "-w", "start"], check=True, stdout=subprocess.DEVNULL
        )
        pid = int(Path(data, "postmaster.pid").read_text().split()[0])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", pid
    finally:
        if Path(data, "postmaster.pid").exists():
            subprocess.run([*ctl, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def seed_demo(env: dict) -> bool:
    """The demo park through the app's own command; False if the database was not empty."""
    done = subprocess.run(
        [circularity_command(), "seed-demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode == 2:  # seed-demo refuses a database that already has a park
        return False
    if done.returncode:
        sys.exit(f"circularity seed-demo failed:\n{done.stderr}")
    return True


def event_counts(database_url: str) -> dict[str, int]:
    """Events by operation, straight from the log: what ship and receive really recorded."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT operation, COUNT(*) FROM event GROUP BY operation")
            )
            return {operation: count for operation, count in rows}
    finally:
        engine.dispose()


def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/_bare/")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not answer in time")


@contextmanager
def gunicorn(env: dict, port: int, workers: int, threads: int) -> Iterator[subprocess.Popen]:
    """The app and the bare endpoint (bench/bare_app.py) as the README deploys the app."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            # A listening socket per worker (SO_REUSEPORT): the kernel spreads connections
            # over the workers. With one shared socket, keep-alive connections opened at
            # once all landed on one gthread worker while the other idled.
            "--reuse-port",
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(HERE),
            "--log-level",
            "warning",
            "bare_app:app",
        ],
        # One BLAS thread a worker, as the README deploys it: the workers already take a core
        # each, and OpenBLAS's own threads would spin on the other.
        env={**env, "OPENBLAS_NUM_THREADS": "1"},
    )
    try:
        _wait_until_up(port, server)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _cpu(process: psutil.Process, reaped: bool = False) -> float:
    """User and system CPU seconds of a process; with ``reaped``, also of its ended children."""
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    used = times.user + times.system
    return used + (times.children_user + times.children_system if reaped else 0.0)


class CpuMeter:
    """CPU seconds used so far by the load generator (this process), gunicorn's workers and,
    when the benchmark started it, PostgreSQL (the postmaster, its live backends and those
    that ended: a backend's time moves to the postmaster's children when it exits)."""

    def __init__(self, server_pid: int, postmaster_pid: int | None = None):
        self.me = psutil.Process()
        self.workers = psutil.Process(server_pid).children()
        self.postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None

    def read(self) -> tuple[float, float, float | None]:
        database = None
        if self.postmaster:
            backends = self.postmaster.children()
            database = _cpu(self.postmaster, reaped=True) + sum(_cpu(b) for b in backends)
        return _cpu(self.me), sum(_cpu(w) for w in self.workers), database
