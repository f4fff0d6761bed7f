"""A throw-away PostgreSQL cluster for the test suite.

initdb refuses to run as root, so as root the cluster runs as the ``postgres`` user. If the
server cannot start, the run fails with the reason: PostgreSQL tests are never skipped.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN_CANDIDATES = [
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
]


class PostgresUnavailable(RuntimeError):
    pass


def _pg_bin() -> Path:
    for candidate in [os.environ.get("PG_BIN", ""), *PG_BIN_CANDIDATES]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb) not found: install the Debian package "
        "'postgresql' or set PG_BIN"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="scheduler-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{args[0]} failed ({result.returncode}): {result.stderr or result.stdout}"
            )

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        # No JIT: the test tables are never analyzed, so PostgreSQL would JIT-compile joined
        # statements it wrongly thinks are big, at seconds each (production tables are analyzed).
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c jit=off"
        )
        self.options = options  # restart() starts the server the same way
        self._start_server()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _start_server(self) -> None:
        """pg_ctl start, returning once the server accepts connections."""
        data, log = str(self.data), str(self.dir / "log")
        self._run("pg_ctl", "-D", data, "-o", self.options, "-l", log, "-w", "-t", "60", "start")

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def restart(self, while_down=None) -> None:
        """Stop the server as an operator would (fast: every session is cut off), call
        ``while_down()`` if given, then start it again and return once it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        try:
            if while_down is not None:
                while_down()
        finally:
            self._start_server()

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def postgres_url(name: str):
    """The benchmarks' --postgres: DATABASE_URL when it is set, else database ``name`` on a
    throw-away cluster, stopped on exit. The URL names the psycopg driver."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        return
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster.create_database(name)
    finally:
        cluster.stop()
