"""Pause points for the crash-safety tests: a run stops at a named point inside a stage, with that
stage's work half done, so a test can kill it there (tests/integration/test_crash_safety.py).

Off unless OE_PAUSE_AT names the point; then the process writes the point's name to the file
OE_PAUSE_MARKER (when set) and sleeps OE_PAUSE_SECONDS (default 600) before carrying on. The points:
`ingest` (a file's bronze rows written, the file manifest not yet), `dbt` (dbt build under way),
`linkage` (the first linkage output replaced, the others not yet), `publish` (the first gold file
replaced, the manifest and serving files not yet). Besides these stages of a run, `ingest-batch`: a
batch of a file written to its temporary outputs, the file not finished (tests/landing)."""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "OE_PAUSE_AT"
PAUSE_MARKER = "OE_PAUSE_MARKER"
PAUSE_SECONDS = "OE_PAUSE_SECONDS"
POINTS = ("ingest", "dbt", "linkage", "publish")
BATCH_POINT = "ingest-batch"


def pause_point(point: str) -> None:
    """Pause here if OE_PAUSE_AT names this point; otherwise return at once."""
    if os.environ.get(PAUSE_AT) != point:
        return
    marker = os.environ.get(PAUSE_MARKER)
    if marker:
        Path(marker).write_text(f"{point} {os.getpid()}\n", encoding="utf-8")
    time.sleep(float(os.environ.get(PAUSE_SECONDS, "600")))
