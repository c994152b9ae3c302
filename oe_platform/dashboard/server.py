"""Start the Streamlit dashboard on localhost (oe dashboard)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from oe_platform.config import REPO_ROOT, Settings

APP = Path(__file__).with_name("app.py")


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The `streamlit run` command line: headless, on address:port only, no usage statistics."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--global.developmentMode", "false",
    ]


def streamlit_env(settings: Settings) -> dict[str, str]:
    """The dashboard finds the serving files through OE_LAKE; the library on PYTHONPATH."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, **settings.env(), "PYTHONPATH": path}
