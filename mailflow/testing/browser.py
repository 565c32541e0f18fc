"""For the browser tests and the demo: the web on a loopback port in a thread, headless Chromium, axe-core."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebServer:
    """uvicorn serving an app on 127.0.0.1 in a thread of its own."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 30.0) -> WebServer:
        self.thread.start()
        deadline = time.monotonic() + wait
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the web server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def chromium_paths() -> tuple[str, str] | None:
    """Debian's chromium and chromedriver, or None when they are not installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (browser, driver) if browser and driver else None


ROOT = Path(__file__).resolve().parent.parent.parent


def axe_script() -> Path | None:
    """axe.min.js: $MAILFLOW_AXE_JS, else the copy scripts/test put in .cache/axe-core."""
    import os

    given = os.environ.get("MAILFLOW_AXE_JS")
    for path in ([Path(given)] if given else []) + [ROOT / ".cache" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"]:
        if path.is_file():
            return path
    return None


class Browser:
    """Headless Chromium through Selenium, with a fresh profile that is removed afterwards."""

    def __init__(self, width: int = 1200, height: int = 1000) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        paths = chromium_paths()
        if paths is None:
            raise RuntimeError("Debian's chromium and chromium-driver are needed (scripts/test installs them)")
        self.profile = tempfile.mkdtemp(prefix="mailflow-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = paths[0]
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument("--lang=sv-SE")
        self.driver = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def screenshot(self, path: Path) -> None:
        """The whole page (not only the window) as a PNG."""
        d = self.driver
        width = int(d.execute_script("return document.documentElement.clientWidth"))
        height = int(d.execute_script("return Math.max(document.body.scrollHeight, "
                                      "document.documentElement.scrollHeight)"))
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": width, "height": min(height, 6000), "deviceScaleFactor": 1,
                           "mobile": width < 600})
        d.save_screenshot(str(path))
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.1 A/AA violations on the current page (npm's axe-core, installed by scripts/test)."""
        script = axe_script()
        if script is None:
            raise RuntimeError("axe-core is needed: scripts/test installs npm's axe-core into .cache/axe-core")
        self.driver.execute_script(script.read_text(encoding="utf-8"))
        self.driver.set_script_timeout(60)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical', "
            "description: String(e), nodes: []}]));")
        return list(result)
