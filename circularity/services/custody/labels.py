"""QR labels for batches: one PNG, or an A4 sheet of many as a PDF.

The QR code holds the permanent label URL ``<BASE_URL>/b/<code>``, so a phone's ordinary
camera app opens the batch page. A label also carries the code in readable groups, the
material and its List-of-Waste code, and for hazardous waste a black-on-orange marking.
"""

import io
from dataclasses import dataclass

import qrcode
from PIL import Image, ImageDraw
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from circularity.fonts import image_font as _font
from circularity.fonts import pdf_font
from circularity.services.catalogue import Material

# One fixed mask pattern: the codes decode just as well, and choosing the best of eight
# masks would make a sheet of 1,000 labels six times slower.
MASK_PATTERN = 2
HAZARD_ORANGE = (255, 102, 0)
#: Chinese first, as China's rules ask of a hazardous waste marking, then English for the
#: park's international staff and carriers.
HAZARD_TEXT = "危险废物 HAZARDOUS WASTE"


@dataclass(frozen=True)
class LabelData:
    code: str
    url: str
    material: Material
    company: str


def label_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/b/{code}"


def readable_code(code: str) -> str:
    """The code in groups of four or five, easy to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, 24, 4)) + "-" + code[24:]


def qr_matrix(url: str) -> list[list[bool]]:
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK_PATTERN
    )
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines


def _fit(text: str, width: float, measure) -> str:
    """``text`` cut to ``width`` as ``measure`` measures it, ending in an ellipsis when cut.
    Measured, not counted: a Chinese character is about twice as wide as a Latin one."""
    if measure(text) <= width:
        return text
    while text and measure(text + "…") > width:
        text = text[:-1]
    return text + "…"


def png(label: LabelData) -> bytes:
    """A label of 1000 × 500 pixels (100 × 50 mm at 254 dpi)."""
    matrix = qr_matrix(label.url)
    quiet, module = 4, 400 // (len(matrix) + 8)
    side = module * (len(matrix) + 2 * quiet)
    image = Image.new("RGB", (1000, 500), "white")
    draw = ImageDraw.Draw(image)
    top = (500 - side) // 2
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = 20 + (x + quiet) * module, top + (y + quiet) * module
                draw.rectangle([x0, y0, x0 + module - 1, y0 + module - 1], fill="black")
    left, y = side + 40, 30
    if label.material.hazardous:
        draw.rectangle([left - 10, 20, 985, 100], fill=HAZARD_ORANGE, outline="black", width=4)
        draw.text((left + 5, 40), HAZARD_TEXT, font=_font(36), fill="black")
        y = 120
    draw.text((left, y), label.material.display_code, font=_font(48), fill="black")
    y += 62
    for line in _wrap(label.material.description, 28)[:4]:
        draw.text((left, y), line, font=_font(30), fill="black")
        y += 36
    company = _fit(label.company, 980 - left, _font(26).getlength)
    draw.text((left, 400), company, font=_font(26), fill="black")
    draw.text((left, 436), readable_code(label.code), font=_font(26), fill="black")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


COLUMNS, ROWS = 2, 5
LABEL_W, LABEL_H = A4[0] / COLUMNS, A4[1] / ROWS


def pdf(labels: list[LabelData], title: str = "circularity labels") -> bytes:
    """An A4 sheet PDF, ten labels of 105 × 59.4 mm a page, QR codes drawn as vectors."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    per_page = COLUMNS * ROWS
    for index, label in enumerate(labels):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        x = (slot % COLUMNS) * LABEL_W
        y = A4[1] - (slot // COLUMNS + 1) * LABEL_H
        _draw_label(canvas, label, x, y)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_label(canvas: Canvas, label: LabelData, x: float, y: float) -> None:
    matrix = qr_matrix(label.url)
    size = 44 * mm
    module = size / len(matrix)
    qx, qy = x + 6 * mm, y + (LABEL_H - size) / 2
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = qy + size - (row_index + 1) * module
        start = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                path.rect(qx + start * module, top, (col - start) * module, module)
                start = None
    canvas.drawPath(path, stroke=0, fill=1)
    tx, ty = x + 55 * mm, y + LABEL_H - 10 * mm
    text_font = pdf_font()  # company names and descriptions may be Chinese or German
    if label.material.hazardous:
        canvas.setFillColor(Color(*(c / 255 for c in HAZARD_ORANGE)))
        canvas.rect(tx - 2 * mm, ty - 3 * mm, 47 * mm, 9 * mm, stroke=1, fill=1)
        canvas.setFillColor(black)
        canvas.setFont(text_font, 8.5)
        canvas.drawString(tx, ty, HAZARD_TEXT)
        ty -= 10 * mm
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawString(tx, ty, label.material.display_code)
    canvas.setFont(text_font, 8)
    for line in _wrap(label.material.description, 30)[:4]:
        ty -= 4 * mm
        canvas.drawString(tx, ty, line)
    canvas.setFont(text_font, 7)
    company = _fit(label.company, 47 * mm, lambda t: canvas.stringWidth(t, text_font, 7))
    canvas.drawString(tx, y + 10 * mm, company)
    canvas.setFont("Courier", 7)
    canvas.drawString(tx, y + 6 * mm, readable_code(label.code))
    canvas.setStrokeColor(Color(0.8, 0.8, 0.8))
    canvas.setFillColor(white)
    canvas.rect(x, y, LABEL_W, LABEL_H, stroke=1, fill=0)
    canvas.setFillColor(black)
