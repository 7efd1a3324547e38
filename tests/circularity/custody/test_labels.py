"""Labels decode, with a real QR decoder, back to the permanent batch URL."""

import io

import pypdfium2
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from circularity.cli import cli
from circularity.services import catalogue
from circularity.services.custody import labels
from tests.helpers import register


def decode(image: Image.Image) -> list[str]:
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def pdf_pages(data: bytes, scale: float = 2.0) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [document[i].render(scale=scale).to_pil() for i in range(len(document))]
    finally:
        document.close()


def test_png_label_decodes_to_the_batch_url(as_person, db_session):
    code = register(db_session)
    response = as_person("alice").get(f"/b/{code}/label.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1000, 500)
    assert decode(image) == [f"https://circularity.park.test/b/{code}"]


def test_hazardous_label_is_marked(db_session):
    hazardous = catalogue.get_material("130205")
    plain = catalogue.get_material("170405")
    url = "https://circularity.park.test/b/" + "0" * 26

    def orange_share(material):
        image = Image.open(io.BytesIO(labels.png(labels.LabelData("0" * 26, url, material, "C"))))
        rgb = image.convert("RGB")
        orange = sum(
            count for count, colour in rgb.getcolors(1 << 24) if colour == labels.HAZARD_ORANGE
        )
        return orange / (rgb.width * rgb.height)

    assert orange_share(hazardous) > 0.05
    assert orange_share(plain) == 0


def test_pdf_sheet_of_many_labels_decodes(as_person, db_session):
    codes = [register(db_session) for _ in range(12)] + [register(db_session, material="130205")]
    query = "&".join(f"code={c}" for c in codes)
    response = as_person("alice").get(f"/labels?{query}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pdf_pages(response.data)
    assert len(pages) == 2  # ten labels a page
    found = [text for page in pages for text in decode(page)]
    assert sorted(found) == sorted(f"https://circularity.park.test/b/{c}" for c in codes)
    text = pypdfium2.PdfDocument(response.data)
    try:
        second = text[1].get_textpage().get_text_range()
    finally:
        text.close()
    assert "HAZARDOUS WASTE" in second and "13 02 05*" in second


def test_labels_page_without_codes_lists_batches(as_person, db_session):
    code = register(db_session)
    html = as_person("alice").get("/labels").get_data(as_text=True)
    assert f'value="{code}"' in html


def test_labels_for_unseen_batches_are_refused(as_person, db_session):
    code = register(db_session, who="carl")
    assert as_person("alice").get(f"/labels?code={code}").status_code == 404


def test_labels_command_writes_a_pdf(app, db_session, tmp_path):
    codes = [register(db_session) for _ in range(3)]
    out = tmp_path / "sheet.pdf"
    result = CliRunner().invoke(
        cli,
        ["labels", *codes, "-o", str(out)],
        env={"DATABASE_URL": app.config["DATABASE_URL"], "BASE_URL": "https://p.test"},
    )
    assert result.exit_code == 0, result.output
    found = decode(pdf_pages(out.read_bytes())[0])
    assert sorted(found) == sorted(f"https://p.test/b/{c}" for c in codes)
    bad = CliRunner().invoke(
        cli, ["labels", "NOPE", "-o", str(out)], env={"DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert bad.exit_code == 2 and "code" in bad.output
