"""The HTTP side of operations: GET /healthz (200 or 503, JSON) and GET /metrics (Prometheus text)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mailflow.ops.monitor import Monitor

log = logging.getLogger(__name__)


class OpsServer:
    def __init__(self, address: tuple[str, int], monitor: Monitor) -> None:
        self.monitor = monitor
        ops = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # scrapes every few seconds are not events

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    healthy, body = ops.monitor.health()
                    data = json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
                    self._send(200 if healthy else 503, data, "application/json; charset=utf-8")
                elif path == "/metrics":
                    self._send(200, generate_latest(ops.monitor.registry), CONTENT_TYPE_LATEST)
                else:
                    self._send(404, b"not found: /healthz and /metrics are served here\n", "text/plain")

        self.httpd = ThreadingHTTPServer(address, Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    def start(self) -> OpsServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="ops-http", daemon=True)
        self._thread.start()
        log.info("event=ops_listening port=%d", self.port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
