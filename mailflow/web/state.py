"""What every view needs: the config, the register, the service, the clock, the keys and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from mailflow.adapters.store import Store
from mailflow.clock import Clock
from mailflow.config import Config
from mailflow.service import Service
from mailflow.web.render import Pages
from mailflow.web.security import Keys


@dataclass
class WebState:
    config: Config
    store: Store
    service: Service
    clock: Clock
    keys: Keys
    pages: Pages


def client_ip(request: Request) -> str:
    """The visitor's address as the server saw it (behind a proxy: as uvicorn's --proxy-headers made it)."""
    return request.client.host if request.client is not None else "unknown"


def secure(state: WebState, request: Request) -> bool:
    setting = state.config.web.secure_cookies
    if setting == "auto":
        return request.url.scheme == "https"
    return bool(setting)


def set_cookie(state: WebState, request: Request, response: Response, name: str, value: str, *, path: str = "/",
               samesite: Literal["lax", "strict"] = "lax", max_age: int | None = None) -> None:
    response.set_cookie(name, value, path=path, httponly=True, secure=secure(state, request), samesite=samesite,
                        max_age=max_age)
