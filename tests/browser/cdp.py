"""Drive Debian's headless Chromium over the DevTools protocol, for pages that render after load
(a Streamlit app draws its content from a websocket, so --dump-dom would catch only the skeleton).

Chromium listens on a port it picks itself on 127.0.0.1 (--remote-debugging-port=0, read back from
DevToolsActivePort in the throw-away profile); one page is driven over one websocket."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


class Browser:
    def __init__(self, profile: Path, width: int = 1400, height: int = 1000) -> None:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        assert chromium, "Chromium is required for browser tests: apt-get install chromium"
        profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert self.process.poll() is None, "Chromium exited before it opened its DevTools port"
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port in 60 s"
            time.sleep(0.2)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [t for t in json.load(response) if t["type"] == "page"]
        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self.ids = itertools.count(1)

    def call(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == message_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def open(self, url: str, ready: str, timeout: float = 90) -> None:
        """Navigate to url and wait until the JavaScript expression `ready` is true."""
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({ready})"):
            assert time.monotonic() < deadline, f"{url}: the page was not ready in {timeout} s ({ready})"
            time.sleep(0.5)

    def open_wait(self, ready: str, timeout: float = 90) -> None:
        """Wait, on the page already open, until the JavaScript expression `ready` is true."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({ready})"):
            assert time.monotonic() < deadline, f"not ready in {timeout} s ({ready})"
            time.sleep(0.5)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=30)
