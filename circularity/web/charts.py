"""Charts drawn on the server as SVG text: nothing to load from a CDN, nothing to run in the
browser, and the same picture in every browser and in a saved page."""

import re

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from circularity.services.carbon.balance import Period
from circularity.services.quantities import format_mass
from mfa.sankey import SankeyLayout, SankeyLink, to_svg

#: A company's node in the flow graph (services/analysis/records.py names them ``c<id>``).
COMPANY_NODE = re.compile(r"c(\d+)")


def sankey(diagram: SankeyLayout, period_args: dict[str, str]) -> str:
    """The diagram as SVG text, or "" when it has no flows (the page says so instead).

    Every ribbon links to the batches behind its flow, every company's box to the company's
    own analysis, both for the same period; masses are written in the reader's locale."""
    if not diagram.links:
        return ""

    def link_href(link: SankeyLink) -> str:
        return url_for(
            "analysis.flow",
            source=link.source,
            target=link.target,
            material=link.material,
            **period_args,
        )

    def node_href(node_id: str) -> str | None:
        company = COMPANY_NODE.fullmatch(node_id)
        if company is None:
            return None
        return url_for("analysis.index", company=company.group(1), **period_args)

    return to_svg(
        diagram,
        title=_("Material flows"),
        amount=sankey_mass,
        link_href=link_href,
        node_href=node_href,
    )


def sankey_mass(kg: float) -> str:
    """A node's or flow's mass as the page writes masses (tonnes above one tonne)."""
    return format_mass(round(kg * 1000))


def sparkline(values: list[float | None], title: str, width: int = 132, height: int = 30) -> Markup:
    """A trend line of shares in [0, 1] (a missing month is a gap), with its last point marked."""
    step = width / max(len(values) - 1, 1)
    parts, segment = [], []
    for i, value in enumerate(values):
        if value is None:
            if segment:
                parts.append(segment)
            segment = []
            continue
        segment.append(f"{i * step:.1f},{height - 2 - value * (height - 4):.1f}")
    if segment:
        parts.append(segment)
    lines = "".join(
        f'<polyline points="{" ".join(p)}" fill="none" stroke="#2a7" stroke-width="1.5"/>'
        for p in parts
    )
    last = parts[-1][-1].split(",") if parts else None
    dot = f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5" fill="#2a7"/>' if last else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" '
        f'height="{height}" viewBox="-3 -3 {width + 6} {height + 6}" role="img">'
        f"<title>{escape(title)}</title>"
        f'<line x1="0" x2="{width}" y1="{height - 2}" y2="{height - 2}" stroke="#ccc"/>'
        f"{lines}{dot}</svg>"
    )


def avoided_chart(years: list[Period], title: str, width: int = 560, height: int = 140) -> Markup:
    """Bars of each year's avoided emissions (t CO2e): their own chart, beside the balance,
    never subtracted from it."""
    high = max((abs(p.avoided_t) for p in years), default=0.0) or 1.0
    left, bottom, top = 60, 24, 12
    plot_h = height - bottom - top
    slot = (width - left) / max(len(years), 1)
    zero = top + plot_h / 2 if any(p.avoided_t < 0 for p in years) else top + plot_h
    scale = (zero - top) / high
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart avoided" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="10" role="img"><title>{escape(title)}</title>',
        f'<line x1="{left}" x2="{width}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{high:,.0f}</text>',
    ]
    for i, p in enumerate(years):
        x = left + i * slot + slot * 0.2
        y0, y1 = sorted((zero, zero - p.avoided_t * scale))
        tip = f"{p.year}: {p.avoided_t:,.1f} t CO2e"
        out.append(
            f'<rect x="{x:.1f}" y="{y0:.1f}" width="{slot * 0.6:.1f}" height="{y1 - y0:.1f}" '
            f'fill="#58a"><title>{escape(tip)}</title></rect>'
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 8}" text-anchor="middle">{p.year}'
            "</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def balance_chart(years: list[Period], title: str, width: int = 560, height: int = 220) -> Markup:
    """Bars of each year's balance, its inventory (t CO2e), and the straight path to zero."""
    left, bottom, top = 60, 24, 12
    values = [v for p in years for v in (p.balance_t, p.path_t or 0.0, 0.0)]
    high, low = max(values, default=1.0), min(values, default=0.0)
    span = (high - low) or 1.0
    plot_h = height - bottom - top

    def y(value: float) -> float:
        return top + (high - value) / span * plot_h

    slot = (width - left) / max(len(years), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="10" role="img"><title>{escape(title)}</title>',
        f'<line x1="{left}" x2="{width}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{y(high) + 4:.1f}" text-anchor="end">{high:,.0f}</text>',
        f'<text x="{left - 4}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
    ]
    path = []
    for i, p in enumerate(years):
        x = left + i * slot + slot * 0.2
        bar_top, bar_bottom = sorted((y(p.balance_t), y(0)))
        colour = "#c53" if (p.gap_t or 0) > 0 else "#2a7"
        tip = f"{p.year}: {p.balance_t:,.1f} t CO2e"
        out.append(
            f'<rect x="{x:.1f}" y="{bar_top:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{bar_bottom - bar_top:.1f}" fill="{colour}"><title>{escape(tip)}</title>'
            f"</rect>"
        )
        out.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 8}" text-anchor="middle">{p.year}</text>'
        )
        if p.path_t is not None:
            path.append(f"{x + slot * 0.3:.1f},{y(p.path_t):.1f}")
    if path:
        out.append(
            f'<polyline class="path" points="{" ".join(path)}" fill="none" stroke="#333" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    out.append("</svg>")
    return Markup("".join(out))
