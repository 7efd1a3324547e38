"""Chinese text prints in PNG labels, PDF label sheets, the PDF report and the Sankey PNG.

A font without a character draws the same empty box for every character it lacks, so two
Chinese names of the same length would render alike. With the package's font they differ,
and a PDF's text layer gives the characters back from the embedded font.
"""

import io

import pypdfium2
from PIL import Image, ImageChops, ImageDraw

from circularity.fonts import FONT_FILE, image_font
from circularity.services import catalogue
from circularity.services.custody import labels
from mfa.sankey import SankeyLink, layout
from mfa.sankey_io import to_png
from tests.helpers import history

URL = "https://circularity.park.test/b/" + "0" * 26
# Same length, different characters: drawn as empty boxes they would be the same picture.
STEEL, PORT = "娄江特钢有限公司", "太仓港务有限公司"


def label(company: str, material: str = "170405") -> labels.LabelData:
    return labels.LabelData("0" * 26, URL, catalogue.get_material(material), company)


def differ(a: bytes, b: bytes) -> bool:
    first, second = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    return ImageChops.difference(first, second).getbbox() is not None


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_the_font_has_glyphs_for_the_three_languages():
    def drawn(text: str) -> bytes:
        image = Image.new("L", (40, 40), 255)
        ImageDraw.Draw(image).text((4, 4), text, font=image_font(30), fill=0)
        return image.tobytes()

    missing = drawn("\ue000")  # a private-use character: the font's empty box
    shapes = {text: drawn(text) for text in ("苏", "废", "ß", "ö", "€", "₂")}
    assert missing not in shapes.values()
    assert len(set(shapes.values())) == len(shapes)


def test_png_labels_draw_chinese_company_names():
    assert differ(labels.png(label(STEEL)), labels.png(label(PORT)))


def test_a_long_name_is_cut_to_the_label_with_an_ellipsis():
    name = "太仓市" * 30
    image = Image.open(io.BytesIO(labels.png(label(name))))
    # The company line (y 400-430) ends before the label's right edge, 20 pixels of margin.
    line = image.convert("L").crop((0, 400, 1000, 432)).point(lambda v: 255 if v < 128 else 0)
    assert line.getbbox()[2] <= 980


def test_the_hazard_marking_is_chinese_and_english_in_both_formats():
    hazardous = label(STEEL, material="130205")
    text = pdf_text(labels.pdf([hazardous]))
    assert "危险废物 HAZARDOUS WASTE" in text and STEEL in text
    assert b"WenQuanYiMicroHei" in labels.pdf([hazardous])


def test_sankey_png_draws_chinese_node_names():
    def drawn(name: str) -> bytes:
        links = [SankeyLink(name, "填埋场", 1000.0, material="150102")]  # colour by material
        return to_png(layout(links), font_file=FONT_FILE)

    assert differ(drawn(STEEL), drawn(PORT))


def test_the_report_prints_in_chinese_with_the_font_embedded(db_session, as_person):
    history(db_session)
    client = as_person("mia")
    client.set_cookie("language", "zh_Hans")
    response = client.get("/dashboard/report.pdf?period=2025")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "事件日志检查点" in text
    assert b"WenQuanYiMicroHei" in response.data and b"STSong" not in response.data
