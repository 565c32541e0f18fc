"""The statistics as one self-contained, printable HTML file with inline SVG charts (Swedish).

The markup is XHTML-compatible (every element closed, attributes quoted, only
numeric character references) so that it can be checked with an XML parser,
and it needs nothing from outside: no scripts, fonts, images or links. Small
counts are shown as '<3' (threshold 3), in the tables and the charts alike: a
hidden value is drawn as a grey stub of fixed height, never to scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mailflow.reports.corrections import correction_summary
from mailflow.reports.labels import KINDS, kind_plural
from mailflow.reports.period import month_label
from mailflow.reports.stats import PeriodStats, Timeliness
from mailflow.reports.tabular import (
    DEFAULT_THRESHOLD,
    SECONDARY,
    cell,
    count_cell,
    group_cells,
    hidden,
    share_hidden,
    suppressed_table,
)

KIND_COLOURS = {"complaint": "#b03a2e", "opinion": "#1f6fb2", "praise": "#2e8b57"}
HIDDEN_COLOUR = "#c8c8c8"
FONT = "Arial,Helvetica,sans-serif"
_NUM = ' class="n"'

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #222222; margin: 24px; font-size: 11pt; }
h1 { font-size: 20pt; margin: 0 0 4px 0; color: #004a7f; }
h2 { font-size: 15pt; margin: 28px 0 8px 0; color: #004a7f; border-bottom: 2px solid #004a7f; }
h3 { font-size: 12pt; margin: 18px 0 6px 0; }
p.sub { margin: 0 0 12px 0; color: #555555; }
p.note { font-size: 9pt; color: #555555; }
table { border-collapse: collapse; margin: 4px 0 12px 0; }
th, td { border: 1px solid #bbbbbb; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
thead th { background: #e8eef4; }
figure { margin: 8px 0 12px 0; }
figure, table { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 16mm; }
@media print {
  body { margin: 0; font-size: 10pt; }
  section.org + section.org { break-before: page; page-break-before: always; }
}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(share: float | None) -> str:
    """0.6667 -> '67 %' (rounded half up)."""
    return "–" if share is None else f"{int(share * 100 + 0.5)}\u00a0%"


def _share_cell(share: float | None, base: int, threshold: int, n: int | None = None) -> str:
    """A share; hidden when its base is small or when it would give a small count back (`n` of `base`)."""
    if share is None:
        return "–"
    if base < threshold or (n is not None and share_hidden(n, base, threshold)):
        return hidden(threshold)
    return _pct(share)


def _days_cell(days: int | None, base: int, threshold: int) -> str:
    if days is None:
        return "–"
    return hidden(threshold) if base < threshold else str(days)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    """A table of already-formatted (unescaped) cells; columns from `numeric_from` align right."""
    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(
            f"<{tag}{_NUM if i >= numeric_from else ''}>{_e(c)}</{tag}>" for i, c in enumerate(row)
        )

    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<table><thead><tr>{cells('th', head)}</tr></thead><tbody>{body}</tbody></table>"


# -- charts --------------------------------------------------------------------------


def kinds_per_month_svg(s: PeriodStats, threshold: int) -> str:
    """Grouped bars: complaints, opinions and praise per month; hidden counts as grey stubs."""
    width, height, left, top, bottom = 640, 230, 34, 30, 28
    plot_h = height - top - bottom
    n = len(s.months)
    group_w = (width - left - 10) / n
    bar_w = min(16.0, group_w / 4)
    top_value = max([m.count(k) for m in s.months for k in KINDS] + [threshold, 1])
    scale = plot_h / top_value
    base_y = top + plot_h
    title = f"Inkomna ärenden per månad och typ, {s.org_name}, {s.period.label()}"
    parts = [
        (
            f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{_e(title)}" font-family="{FONT}" font-size="10">'
        ),
        f"<title>{_e(title)}</title>",
        f'<line x1="{left}" y1="{base_y}" x2="{width - 5}" y2="{base_y}" stroke="#444444" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" fill="#555555">{top_value}</text>',
        f'<line x1="{left}" y1="{top}" x2="{width - 5}" y2="{top}" stroke="#dddddd" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{base_y + 4}" text-anchor="end" fill="#555555">0</text>',
    ]
    for i, k in enumerate(KINDS):  # legend
        lx = left + i * 120
        parts.append(f'<rect x="{lx}" y="6" width="10" height="10" fill="{KIND_COLOURS[k]}"/>')
        parts.append(f'<text x="{lx + 14}" y="15">{_e(kind_plural(k, "sv"))}</text>')
    for gi, m in enumerate(s.months):
        gx = left + gi * group_w + (group_w - 3 * bar_w) / 2
        for ki, k in enumerate(KINDS):
            v = m.count(k)
            x = gx + ki * bar_w
            if 0 < v < threshold:
                h, fill, label = 6.0, HIDDEN_COLOUR, hidden(threshold)
            else:
                h, fill, label = v * scale, KIND_COLOURS[k], str(v)
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{fill}"/>'
                )
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{base_y - h - 3:.1f}" text-anchor="middle" '
                f'font-size="8">{_e(label)}</text>'
            )
        parts.append(
            f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{base_y + 16}" text-anchor="middle">'
            f"{_e(month_label(m.month)[:3])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def on_time_svg(s: PeriodStats, threshold: int) -> str:
    """Horizontal bars: the on-time share per department (departments with cases)."""
    rows = [(b, t) for b, t in zip(s.departments, s.department_timeliness, strict=True) if b.count]
    label_w, bar_max, row_h, top = 250, 300, 22, 10
    width, height = label_w + bar_max + 70, top + row_h * max(len(rows), 1) + 24
    title = f"Andel återkoppling i tid per avdelning, {s.org_name}, {s.period.label()}"
    parts = [
        (
            f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{_e(title)}" font-family="{FONT}" font-size="10">'
        ),
        f"<title>{_e(title)}</title>",
    ]
    for pct in (0, 50, 100):
        x = label_w + bar_max * pct / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#dddddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#555555">{pct}\u00a0%</text>')
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 14}">Inga ärenden under perioden.</text>')
    for i, (b, t) in enumerate(rows):
        y = top + i * row_h
        name = b.name if len(b.name) <= 44 else b.name[:42] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(name)}</text>')
        if t.share is None:
            text = "inga avgjorda ärenden"
        elif t.decided < threshold:
            text = f"för få ärenden ({hidden(threshold)})"
        else:
            w = bar_max * t.share
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="14" fill="#1f6fb2"/>')
            text = _pct(t.share)
        parts.append(f'<text x="{label_w + 4 + (bar_max * (t.share or 0) if t.decided >= threshold else 0):.1f}" '
                     f'y="{y + 15}">{_e(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# -- sections ------------------------------------------------------------------------


def _key_rows(s: PeriodStats, threshold: int) -> list[tuple[str, str]]:
    t = s.timeliness
    def c(n: int) -> str:
        return count_cell(n, threshold)

    when = "vid periodens slut" if s.measured_on == s.period.end else f"{s.measured_on.isoformat()} (perioden pågår)"
    rows = [("Inkomna ärenden", c(s.total))]
    kinds = group_cells([b.count for b in s.kinds], threshold)
    rows += [(f"– {kind_plural(str(b.key), 'sv').lower()}", shown) for b, shown in zip(s.kinds, kinds, strict=True)]
    rows += [
        ("Anonyma ärenden", c(s.anonymous)),
        ("Andel anonyma", _share_cell(s.anonymous_share, s.total, threshold, s.anonymous)),
        ("Ärenden med tidsgräns för återkoppling", c(t.with_deadline)),
        ("Återkoppling i tid", c(t.on_time)),
        ("Återkoppling för sent", c(t.late)),
        ("Tidsgränsen ännu inte passerad", c(t.pending)),
        ("Andel återkoppling i tid", _share_cell(t.share, t.decided, threshold, t.on_time)),
        ("Arbetsdagar till återkoppling, median", _days_cell(s.median_days, s.answered, threshold)),
        ("Arbetsdagar till återkoppling, 90:e percentil", _days_cell(s.p90_days, s.answered, threshold)),
        ("Ärenden med registrerad åtgärd", c(s.with_action)),
        ("Ärenden med registrerad förebyggande åtgärd", c(s.with_preventive_action)),
        (f"Öppna {when}", c(s.open_at_end)),
        (f"Försenade {when}", c(s.overdue_at_end)),
        ("Rättat av registrator", correction_summary(s.corrections, threshold)),
    ]
    return rows


def _comparison(stats: Sequence[PeriodStats], threshold: int) -> str:
    rows_by_org = [_key_rows(s, threshold) for s in stats]
    rows = [[label, *(r[i][1] for r in rows_by_org)] for i, (label, _) in enumerate(rows_by_org[0])]
    return (
        "<section><h2>Jämförelse mellan förvaltningarna</h2>"
        + _table(["", *(s.org_name for s in stats)], rows)
        + "</section>"
    )


def _timeliness_row(b_name: str, count: int, t: Timeliness, threshold: int) -> list[str]:
    def c(n: int) -> str:
        return count_cell(n, threshold)

    return [b_name, c(count), c(t.with_deadline), c(t.on_time), c(t.late),
            _share_cell(t.share, t.decided, threshold, t.on_time)]


def _org_section(s: PeriodStats, threshold: int) -> str:
    def c(n: int) -> str:
        return count_cell(n, threshold)

    table = [[m.count(k) for k in KINDS] for m in s.months]
    hide = suppressed_table(table, threshold) if table else []
    month_rows = [
        [f"{month_label(m.month)} {m.month[:4]}", *(cell(n, h, threshold) for n, h in zip(counts, hides, strict=True)),
         c(m.total)]
        for m, counts, hides in zip(s.months, table, hide, strict=True)
    ]
    month_rows.append(["Summa", *group_cells([b.count for b in s.kinds], threshold), c(s.total)])
    dept_rows = [_timeliness_row(b.name, b.count, t, threshold)
                 for b, t in zip(s.departments, s.department_timeliness, strict=True)]
    return "".join([
        '<section class="org">',
        f"<h2>{_e(s.org_name)}</h2>",
        f'<p class="sub">{_e(s.period.label())}, {_e(s.period.start.isoformat())} – {_e(s.period.end.isoformat())}</p>',
        "<h3>Nyckeltal</h3>",
        _table(["", "Värde"], _key_rows(s, threshold)),
        "<h3>Inkomna ärenden per månad</h3>",
        f"<figure>{kinds_per_month_svg(s, threshold)}</figure>",
        _table(["Månad", *(kind_plural(k, "sv") for k in KINDS), "Summa"], month_rows),
        "<h3>Återkoppling i tid per avdelning</h3>",
        f"<figure>{on_time_svg(s, threshold)}</figure>",
        _table(["Avdelning", "Inkomna", "Med tidsgräns", "I tid", "För sent", "Andel i tid"], dept_rows),
        "<h3>Per enhet</h3>",
        _table(["Enhet", "Avdelning", "Inkomna"],
               [[b.name, b.group, shown] for b, shown in zip(s.units, group_cells([b.count for b in s.units], threshold),
                                                             strict=True)], 2),
        "<h3>Per kanal</h3>",
        _table(["Kanal", "Inkomna"],
               [[b.name, shown] for b, shown in zip(s.channels, group_cells([b.count for b in s.channels], threshold),
                                                    strict=True)] or [["–", "0"]]),
        "<h3>Markeringar</h3>",
        _table(["Markering", "Ärenden"], [[b.name, c(b.count)] for b in s.flags]),
        "</section>",
    ])


def report_html(stats: Sequence[PeriodStats], threshold: int = DEFAULT_THRESHOLD) -> str:
    """The whole report: a comparison table when there are several organizations, then one section each."""
    periods = sorted({s.period.label() for s in stats})
    period = periods[0] if len(periods) == 1 else ", ".join(periods)
    title = f"Synpunkter och klagomål – {period}" if stats else "Synpunkter och klagomål"
    as_of = max((s.as_of for s in stats), default=None)
    body = [
        f"<h1>{_e(title)}</h1>",
        (
            f'<p class="sub">{_e(", ".join(s.org_name for s in stats))}'
            + (f" · underlaget uttaget {_e(as_of.strftime('%Y-%m-%d %H:%M'))}" if as_of else "")
            + "</p>"
        ),
        (
            f'<p class="note">Ett ärende räknas till den period då det kom in. Antal under {threshold} '
            f"visas som ”{_e(hidden(threshold))}”, liksom andelar och tider som bygger på färre än "
            f"{threshold} ärenden eller som skulle ge ett sådant litet antal tillbaka, så att ingen enskild kan pekas "
            f"ut; ”{SECONDARY}” står för ett antal som döljs för att ett litet antal annars kan räknas fram. "
            "Återkoppling i tid betyder senast den dag "
            "tidsgränsen anger; anonyma ärenden har ingen tidsgräns och ingår inte i andelen, inte heller ärenden "
            "vars tidsgräns ännu inte har passerats. Arbetsdagar räknas från den arbetsdag ärendet kom in "
            "(efter kl. 17 eller en helgdag: nästa arbetsdag). Median och 90:e percentil är beräknade enligt "
            "närmaste rang, så värdet är alltid ett faktiskt utfall. Rättat av registrator är andelen av "
            "periodens ärenden där registratorn har ändrat mailflows första bedömning av typ, enhet, Lex Sarah "
            "eller anonymitet (med ett kommando per e-post eller i registret); en andel som skulle visa färre "
            f"än {threshold} ärenden visas som ”{_e(hidden(threshold))}”.</p>"
        ),
    ]
    if len(stats) > 1:
        body.append(_comparison(stats, threshold))
    body += [_org_section(s, threshold) for s in stats]
    if not stats:
        body.append("<p>Inga organisationer valda.</p>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="sv">\n<head>\n<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
