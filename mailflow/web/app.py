"""The web application: every route in one place.

Citizens: `/` (choose an organization), `/<org-id>/` (the form; POST sends it).
Staff: `/staff/login`, `/staff/logout`, `/staff/cases` (list, filters, search),
`/staff/cases.csv`, `/staff/cases/<ref>` (the case page), POSTs on a case for
identity, actions, the answer and feedback, `/staff/statistics` and its
reports, `/staff/access-log`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mailflow.adapters.store import Store
from mailflow.clock import Clock, SystemClock
from mailflow.config import Config
from mailflow.service import Service
from mailflow.web import citizen, staff, stats
from mailflow.web.render import Pages
from mailflow.web.security import Keys
from mailflow.web.state import WebState

log = logging.getLogger(__name__)


def _css(directory: Path) -> bytes:
    return (directory / "web" / "web.css").read_bytes()


def create_app(config: Config, store: Store, service: Service | None = None, clock: Clock | None = None) -> Starlette:
    """The ASGI application on this config and register (the service: the one `run --web` runs, or a new one)."""
    clock = clock or (service.clock if service is not None else SystemClock())
    service = service or Service(config, store, clock)
    templates = config.templates_dir()
    state = WebState(config=config, store=store, service=service, clock=clock, keys=Keys(store), pages=Pages(templates))
    css = _css(templates)

    async def stylesheet(request: Request) -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600",
                                                              "X-Content-Type-Options": "nosniff"})

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", citizen.index, methods=["GET"]),
        Route("/static/web.css", stylesheet, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/staff", staff.home, methods=["GET"]),
        Route("/staff/", staff.home, methods=["GET"]),
        Route("/staff/login", staff.login, methods=["GET", "POST"]),
        Route("/staff/logout", staff.logout, methods=["POST"]),
        Route("/staff/cases", staff.cases, methods=["GET"]),
        Route("/staff/cases.csv", staff.cases_csv, methods=["GET"]),
        Route("/staff/cases/{ref}", staff.case_page, methods=["GET"]),
        Route("/staff/cases/{ref}/identity", staff.identity, methods=["POST"]),
        Route("/staff/cases/{ref}/command", staff.command, methods=["POST"]),
        Route("/staff/cases/{ref}/answer", staff.answer, methods=["POST"]),
        Route("/staff/cases/{ref}/feedback", staff.feedback, methods=["POST"]),
        Route("/staff/statistics", stats.statistics, methods=["GET"]),
        Route("/staff/statistics/report.{fmt:str}", stats.report, methods=["GET"]),
        Route("/staff/access-log", staff.access_log, methods=["GET"]),
        Route("/{org}/", citizen.form, methods=["GET"]),
        Route("/{org}/", citizen.send, methods=["POST"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return citizen.not_found(request)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return citizen.not_found(request)
        return PlainTextResponse(f"{status}", status_code=status)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("event=web_error path=%s error=%s", request.url.path, type(exc).__name__)
        return citizen.refused(request, "sv", 500, "Något gick fel / Something went wrong",
                               "Försök igen om en stund. Ett formulär som skickas igen registreras bara en gång. / "
                               "Try again in a while. A form sent again is registered only once.")

    app = Starlette(routes=routes, exception_handlers={404: not_found, HTTPException: http_error,
                                                      Exception: server_error})
    app.state.web = state
    return app
