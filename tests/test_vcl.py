"""The edge's VCL on its own, with varnishtest: cookies, ESI, grace, bans and leaks.

Each deploy/varnish/tests/*.vtc file starts a Varnish with newsite.vcl in front of a scripted
backend and checks what reaches the backend and what reaches the client.
"""

import shutil
import subprocess
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
    top.write_text(render(("10.0.0.7", "8000"), ["10.0.0.0/24", "127.0.0.1"]))
    varnishd = varnish_binaries()[0]
    # -j none: as root, the jail would read the file as the varnish user, who may not.
    command = [varnishd, "-C", "-j", "none", "-f", str(top)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
