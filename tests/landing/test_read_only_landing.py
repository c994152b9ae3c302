"""A read-only landing folder (issue 10): ingest only reads the landing zone, so a landing folder
mounted read-only (as a delivery share often is) loads exactly like a writable one. The folder is
made read-only by a real read-only bind mount in a private mount namespace (`unshare -m`: needs
CAP_SYS_ADMIN, which the test machine's root has), so every write attempt into it would fail with
EROFS, as on a read-only share."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from oe_platform.config import REPO_ROOT
from oe_platform.landing.ingest import ingest, read_manifest
from oe_platform.landing.reconcile import reconcile
from tests.integration.pipeline_runs import OE
from tests.landing.test_disk_full import _lake_rows, _settings


def test_a_read_only_landing_folder_loads_like_a_writable_one(tmp_path, robust_landing):
    generated = robust_landing
    reference = _settings(tmp_path / "reference")
    shutil.copytree(generated, reference.landing)
    ingest(reference)

    settings = _settings(tmp_path / "site")
    shutil.copytree(generated, settings.landing)
    landing = shlex.quote(str(settings.landing))
    script = (f"mount --bind {landing} {landing} && mount -o remount,ro,bind {landing} {landing} && "
              f"if touch {landing}/.probe 2>/dev/null; then echo 'landing still writable' >&2; exit 3; fi && "
              f"exec {shlex.quote(OE)} ingest")
    env = {**__import__("os").environ, **settings.env(), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert reconcile(settings) == []
    assert _lake_rows(settings) == _lake_rows(reference)
    loaded = [m for m in read_manifest(settings.meta) if m["status"] == "loaded"]
    assert len(loaded) == len([m for m in read_manifest(reference.meta) if m["status"] == "loaded"]) > 50
    assert not (Path(settings.landing) / ".probe").exists()
