"""The edge's VCL on its own, with varnishtest: cookies, ESI, grace, bans and leaks.

Each deploy/varnish/tests/*.vtc file starts a Varnish with newsite.vcl in front of a scripted
backend and checks what reaches the backend and what reaches the client.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.varnish.render import render
from tests.services import varnish_binaries

VTC_DIRECTORY = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "tests"

pytestmark = pytest.mark.varnish


@pytest.mark.parametrize("vtc", sorted(VTC_DIRECTORY.glob("*.vtc")), ids=lambda path: path.stem)
def test_the_vcl_passes_its_varnishtest(vtc):
    result = subprocess.run(
        [shutil.which("varnishtest"), "-q", vtc.name],
        cwd=VTC_DIRECTORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_top_file_compiles_for_any_backend(tmp_path):
    top = tmp_path / "top.vcl"
    secret = "a-secret-for-this-test-that-is-long-enough"
    top.write_text(render(("10.0.0.7", "8000"), ["10.0.0.0/24", "127.0.0.1"], purge_secret=secret))
    varnishd = varnish_binaries()[0]
    # -j none: as root, the jail would read the file as the varnish user, who may not.
    command = [varnishd, "-C", "-j", "none", "-f", str(top)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_top_file_is_not_written_without_a_purge_secret():
    """Without it, anybody at an allowed address could ban: render.py refuses, and says why."""
    script = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "render.py"
    environment = {
        name: value for name, value in os.environ.items() if name != "NEWSITE_EDGE_PURGE_SECRET"
    }
    command = [sys.executable, str(script), "--backend", "127.0.0.1:8000"]
    refused = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert refused.returncode == 2
    assert "Set NEWSITE_EDGE_PURGE_SECRET" in refused.stderr
    assert refused.stdout == ""

    environment["NEWSITE_EDGE_PURGE_SECRET"] = "too-short"
    assert subprocess.run(command, capture_output=True, env=environment).returncode == 2

    environment["NEWSITE_EDGE_PURGE_SECRET"] = "x" * 40
    written = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert written.returncode == 0
    assert f'req.http.X-Purge-Secret != "{"x" * 40}"' in written.stdout
