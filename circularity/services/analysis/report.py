"""The dashboard as a printable PDF: the same tables as the page and the CSV files, and the
monthly recycling rate drawn with reportlab's own graphics (no browser, no fonts to fetch).
Every text is set in the package's own font (circularity.fonts), embedded, so headings in
Chinese and company names in any of the three languages print in every PDF reader."""

import io

from flask_babel import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Preformatted, SimpleDocTemplate, Spacer, Table, TableStyle

from circularity.fonts import pdf_font
from circularity.models import Checkpoint
from circularity.services.analysis.dashboard import Dashboard
from circularity.services.analysis.tables import shown, tables


def _table(header: list[str], rows: list[list[str]]) -> Table:
    """The report is read in the person's language, so its numbers are written as their
    locale writes them (tables.shown), like the page's."""
    rows = [[shown(cell) for cell in row] for row in rows]
    cells = [header, *rows] if rows else [header, ["—"] + [""] * (len(header) - 1)]
    table = Table(cells, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), pdf_font(), 7),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
    ]
    table.setStyle(TableStyle(style))
    return table


def _trend_chart(board: Dashboard) -> Drawing:
    drawing = Drawing(170 * mm, 45 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, 160 * mm - 30, 38 * mm
    chart.data = [[round(f.recycling_rate * 100, 1) for _m, f in board.trend]]
    chart.categoryAxis.categoryNames = [m[2:] for m, _f in board.trend]
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.fontName = pdf_font()
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, 100
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = pdf_font()
    chart.bars[0].fillColor = colors.HexColor("#22aa77")
    drawing.add(chart)
    return drawing


def _checkpoint(checkpoint: Checkpoint | None, styles) -> list:
    """The latest signed checkpoint, verbatim: a reader can check the figures' log against
    it (``circularity verify --checkpoint``) long after the report was printed."""
    story = [Paragraph(_("Event log checkpoint"), styles["Heading2"])]
    if checkpoint is None:
        message = _("No checkpoint of the event log was signed yet.")
        return [*story, Paragraph(message, styles["Normal"])]
    explained = _(
        "The event log's latest signed checkpoint pins its first %(n)d events (signed "
        "%(when)s UTC, Ed25519, C2SP checkpoint format). Check it with circularity verify "
        "--checkpoint, and proofs of single events with circularity check-proof and the "
        "park's public key.",
        n=checkpoint.tree_size,
        when=f"{checkpoint.signed_at:%Y-%m-%d %H:%M}",
    )
    return [
        *story,
        Paragraph(explained, styles["Normal"]),
        Preformatted(checkpoint.note, styles["Code"]),
    ]


def pdf(
    board: Dashboard, names: dict[str, str], generated: str, checkpoint: Checkpoint | None = None
) -> bytes:
    """The report of the window: headline figures, trend chart, streams, companies, carbon,
    and the latest signed checkpoint of the event log they come from."""
    styles = getSampleStyleSheet()
    for name, style in styles.byName.items():
        if name != "Code":  # the checkpoint stays in Courier: it is ASCII, read column by column
            style.fontName = pdf_font()
    out = io.BytesIO()
    window = board.window
    title = _("Park management report, %(first)s to %(last)s",
              first=window.months[0], last=window.months[-1])  # fmt: skip
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=title, author="circularity",
                            leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm)  # fmt: skip
    story = [Paragraph(title, styles["Title"]),
             Paragraph(_("Generated %(when)s from the monthly totals of the event log.",
                         when=generated), styles["Normal"]), Spacer(1, 4 * mm)]  # fmt: skip
    parts = tables(board, names)
    for key in ("indicators", "trend"):
        part = parts[key]
        story += [Paragraph(part.title, styles["Heading2"]), _table(part.header, part.rows)]
    story += [Paragraph(_("Recycling rate by month (%)"), styles["Heading3"]), _trend_chart(board)]
    for key in ("streams", "companies", "balance"):
        part = parts[key]
        story += [Paragraph(part.title, styles["Heading2"]), _table(part.header, part.rows)]
    story += _checkpoint(checkpoint, styles)
    doc.build(story)
    return out.getvalue()
