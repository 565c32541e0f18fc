"""The statistics pages: the council's report per organization and side by side, as HTML and CSV.

The numbers are `mailflow report`'s (`mailflow/reports/`), with the same
small-count suppression, computed from the cases the actor may see
(`access.visible`): a manager's report covers its own units.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from mailflow.adapters import queries
from mailflow.adapters.tables import CaseRow
from mailflow.reports import Period, period_stats, report_csv, report_html
from mailflow.web import access
from mailflow.web.access import Actor
from mailflow.web.render import SECURITY_HEADERS
from mailflow.web.staff import _, _page, log_access, signed_in
from mailflow.web.state import WebState


def _choices(state: WebState, actor: Actor) -> list[Any]:
    ids = access.orgs_of(actor, [o.id for o in state.config.organizations])
    return [o for o in state.config.organizations if o.id in ids]


def _stats(state: WebState, actor: Actor, org_ids: list[str], period: Period) -> list[Any]:
    now = state.clock.now()
    out = []
    for org in state.config.organizations:
        if org.id not in org_ids:
            continue
        cal = state.service.calendars[org.id]
        start = datetime.combine(period.start, datetime.min.time(), tzinfo=cal.tz) - timedelta(days=1)
        end = datetime.combine(period.end, datetime.min.time(), tzinfo=cal.tz) + timedelta(days=2)
        with state.store.transaction(readonly=True) as reg:
            mine = {r for r in reg.session.execute(select(CaseRow.ref).where(
                access.visible(actor), CaseRow.org_id == org.id, CaseRow.received_at >= start,
                CaseRow.received_at < end)).scalars()}
            recs = [r for r in queries.case_records_between(reg.session, org.id, start, end) if r.ref in mine]
            fixed = queries.corrections_between(reg.session, org.id, start, end)  # as `mailflow report` reads them
        recs = [replace(r, corrected=fixed[r.ref]) if r.ref in fixed else r for r in recs]
        out.append(period_stats(org, period, recs, cal, as_of=now))
    return out


@signed_in
async def statistics(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    orgs = _choices(state, actor)
    year = state.clock.now().year
    org = request.query_params.get("org", "")
    period = request.query_params.get("period", "").strip()
    error = ""
    links: dict[str, str] = {}
    if org or period:
        try:
            Period.parse(period)
        except ValueError:
            error = _("Write the period as 2026, 2026-T1, 2026-T2 or 2026-T3.")
        if org != "all" and org not in {o.id for o in orgs}:
            error = _("Choose an organization.")
        if not error:
            query = f"org={org}&period={period}"
            links = {"view": f"/staff/statistics/report.html?{query}",
                     "html": f"/staff/statistics/report.html?{query}&download=1",
                     "csv": f"/staff/statistics/report.csv?{query}"}
    periods = [str(year), f"{year}-T1", f"{year}-T2", f"{year}-T3", str(year - 1)]
    return _page(request, "staff_statistics.html.j2", actor, session_id, status=400 if error else 200, orgs=orgs,
                 org=org, period=period or str(year), periods=periods, error=error, links=links,
                 scope=actor.role == "manager")


@signed_in
async def report(request: Request, state: WebState, actor: Actor, session_id: str) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("html", "csv"):
        return _page(request, "staff_message.html.j2", actor, session_id, status=404, title=_("No such report"),
                     message=_("Reports come as HTML or CSV."))
    org = request.query_params.get("org", "")
    allowed = [o.id for o in _choices(state, actor)]
    try:
        period = Period.parse(request.query_params.get("period", ""))
    except ValueError:
        return _page(request, "staff_message.html.j2", actor, session_id, status=400, title=_("Unknown period"),
                     message=_("Write the period as 2026, 2026-T1, 2026-T2 or 2026-T3."))
    ids = allowed if org == "all" else [org] if org in allowed else []
    if not ids:
        return _page(request, "staff_message.html.j2", actor, session_id, status=404, title=_("No such report"),
                     message=_("There is no report for that organization that you may see."))
    stats = _stats(state, actor, ids, period)
    with state.store.transaction() as reg:
        log_access(reg.session, actor, "download", None, state.clock.now(), what=f"report.{fmt}", orgs=ids,
                   period=period.key)
    name = f"statistik-{org}-{period.key}.{fmt}"
    if fmt == "csv":
        return Response(report_csv(stats), media_type="text/csv; charset=utf-8",
                        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
    headers = dict(SECURITY_HEADERS)
    headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    if request.query_params.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(report_html(stats), media_type="text/html; charset=utf-8", headers=headers)
