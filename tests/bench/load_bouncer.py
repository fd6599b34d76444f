"""PgBouncer in transaction mode for one load point: the project's own (tests/store/bouncer.py,
Debian's package; this bench installs nothing), with as many server connections as the
point's clients can use at once instead of the store test's two."""

from __future__ import annotations

import re
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from bouncer import PGBOUNCER, PgBouncer  # noqa: E402


@contextmanager
def bounced(server_url: str, pool_size: int):
    """`with bounced(url, 8) as bouncer:` then bouncer.url("postgres", database)."""
    if not Path(PGBOUNCER).exists():
        raise RuntimeError(f"{PGBOUNCER} is missing (the Debian package pgbouncer)")
    with PgBouncer(server_url, ["postgres"]) as bouncer:
        ini = bouncer.directory / "pgbouncer.ini"
        ini.write_text(re.sub(r"default_pool_size = \d+", f"default_pool_size = {pool_size}", ini.read_text()))
        bouncer.process.send_signal(signal.SIGHUP)  # PgBouncer rereads its configuration
        time.sleep(0.5)
        yield bouncer
