"""A PgBouncer (Debian's package) in transaction mode in front of the test PostgreSQL, on a free
local port, with its config in a temporary directory. Nothing is installed here: without
/usr/sbin/pgbouncer the test skips (.ci/run installs it). PgBouncer refuses to run as root: it is
started as the `postgres` user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

PGBOUNCER = "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgBouncer:
    """`with PgBouncer(server_url, users) as bouncer:` then bouncer.url(user, database)."""

    def __init__(self, server_url: str, users: list[str]) -> None:
        server = urlsplit(server_url)
        self.server_host, self.server_port = server.hostname or "127.0.0.1", server.port or 5432
        self.users = users
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="deskapp-pgbouncer-"))
        self.process: subprocess.Popen | None = None

    def url(self, user: str, database: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PgBouncer:
        (self.directory / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in self.users))
        (self.directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.server_host} port={self.server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.directory / 'userlist.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 200\n"
            # A server connection is reset between clients; in transaction mode nothing else is.
            "server_reset_query =\nlog_connections = 0\nlog_disconnections = 0\n"
        )
        postgres = pwd.getpwnam("postgres")
        os.chmod(self.directory, 0o755)
        for path in self.directory.iterdir():
            os.chmod(path, 0o644)
        command = [PGBOUNCER, str(self.directory / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command[1:1] = ["-u", postgres.pw_name]
        self.log = open(self.directory / "pgbouncer.log", "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.directory / "pgbouncer.log").read_text()
                    raise RuntimeError("pgbouncer did not start: " + log) from error
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
