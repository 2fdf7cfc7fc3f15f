"""Throwaway Varnish and gunicorn processes for the tests that go through the edge.

Both are started by deploy/engines.py on ports the kernel picks (port 0), so nothing races for
a port. Varnish starts first, on a placeholder backend; gunicorn starts knowing where Varnish
is (to send it bans); then Varnish loads the real top VCL, pointing at gunicorn.
"""

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from deploy import engines
from deploy.varnish.render import render

PROJECT = engines.PROJECT
STARTUP_SECONDS = 30


@dataclass
class Varnish:
    directory: Path
    engine: engines.Engine | None = None
    loaded: int = 0
    # Storage for signed-in readers' own fragments, apart from the pages' 64 MB.
    reader_memory: str = "64m"
    # What BAN and PURGE must carry (X-Purge-Secret); Django's settings need the same one.
    purge_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def start(self):
        top = self.directory / "placeholder.vcl"
        top.write_text(render(("127.0.0.1", "9"), ["127.0.0.1"], purge_secret=self.purge_secret))
        self.engine = engines.varnish(
            self.directory, 0, top, memory="64m", reader_memory=self.reader_memory
        )
        self.engine.start(STARTUP_SECONDS)
        return self

    @property
    def url(self):
        return self.engine.url

    @property
    def process(self):
        return self.engine.process

    def admin(self, *arguments):
        reply = engines.varnishadm(self.directory, *arguments)
        if reply is None:
            raise RuntimeError(f"varnishadm {' '.join(arguments)} failed")
        return reply

    def use_backend(self, port, probe_interval="0.2s", probe_host=None, wait=True):
        """Point the edge at the application on 127.0.0.1:port (a new VCL, loaded live), and
        wait until its probe finds the application healthy."""
        self.loaded += 1
        top = self.directory / f"top{self.loaded}.vcl"
        top.write_text(
            render(
                ("127.0.0.1", str(port)),
                ["127.0.0.1"],
                probe_interval,
                purge_secret=self.purge_secret,
                probe_host=probe_host,
            )
        )
        self.admin("vcl.load", f"newsite{self.loaded}", str(top))
        self.admin("vcl.use", f"newsite{self.loaded}")
        if wait:
            engines.wait_until(
                self.backend_is_healthy, "Varnish's probe of the backend", STARTUP_SECONDS
            )

    def backend_health(self):
        """The probe's verdict on the backend of the VCL in use: healthy or sick."""
        pattern = rf"^newsite{self.loaded}\.default\s.*\b(healthy|sick)\b"
        match = re.search(pattern, self.admin("backend.list"), re.MULTILINE)
        return match and match[1]

    def force_backend_health(self, state):
        """Overrule the probe ("healthy", "sick"), or hand the verdict back to it ("auto")."""
        self.admin("backend.set_health", f"newsite{self.loaded}.default", state)

    def backend_is_healthy(self):
        return self.backend_health() == "healthy"

    def backend_is_sick(self):
        return self.backend_health() == "sick"

    def ban_everything(self):
        self.admin("ban", "obj.status", "!=", "0")

    def counter(self, name):
        output = subprocess.run(
            [engines.binary("varnishstat"), "-n", str(self.directory), "-1", "-f", name],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(output.split()[1])

    def stop(self):
        if self.engine is not None:
            self.engine.stop()


@dataclass
class Gunicorn:
    """newsite under gunicorn (deploy/gunicorn.conf.py), with production settings. Its
    metrics are served only when the environment names GUNICORN_METRICS_BIND."""

    directory: Path
    environment: dict
    engine: engines.Engine | None = None

    def start(self):
        self.engine = engines.gunicorn(
            self.directory,
            0,
            self.environment,
            workers=2,
            metrics_bind=self.environment.get("GUNICORN_METRICS_BIND", ""),
        )
        self.engine.start(STARTUP_SECONDS)
        return self

    @property
    def port(self):
        return self.engine.port

    @property
    def url(self):
        return self.engine.url

    @property
    def process(self):
        return self.engine.process

    @property
    def log_path(self):
        return self.engine.log_path

    def stop(self):
        if self.engine is not None:
            self.engine.stop(seconds=30)


def collect_static(static_root, environment):
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT,
        env={**os.environ, **environment, "DJANGO_STATIC_ROOT": str(static_root)},
        check=True,
    )
