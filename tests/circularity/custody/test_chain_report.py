"""The dashboard's PDF report carries the latest signed checkpoint of the event log."""

import pypdfium2
import pytest

from circularity.services.custody import checkpoints
from tests.helpers import history


def pdf_text(client) -> str:
    response = client.get("/dashboard/report.pdf?period=2025")
    assert response.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(response.data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


@pytest.fixture
def keyed(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    return app


def test_the_report_carries_the_latest_checkpoint(keyed, db_session, as_person):
    history(db_session)
    assert "No checkpoint of the event log was signed yet." in pdf_text(as_person("mia"))
    with keyed.app_context():
        checkpoints.create(db_session)
        row = checkpoints.create(db_session)
    text = pdf_text(as_person("mia"))
    assert "Event log checkpoint" in text
    root_line = row.note.split("\n")[2]
    assert "circularity.park.test/events" in text and root_line in text
    assert f"pins its first {row.tree_size} events" in text


def test_the_chain_page_shows_batch_rows_and_the_checkpoint(keyed, db_session, as_person):
    from sqlalchemy import text

    history(db_session)
    client = as_person("mia")
    page = client.get("/admin/chain").get_data(as_text=True)
    assert "All 13 events are intact" in page and "All 5 batch rows agree" in page
    assert "No checkpoint was signed yet" in page
    with keyed.app_context():
        row = checkpoints.create(db_session)
        vkey = checkpoints.verifier().vkey()
    page = client.get("/admin/chain").get_data(as_text=True)
    assert row.note.split("\n")[2] in page and vkey in page
    db_session.execute(text("UPDATE batch SET mass_g = mass_g + 1"))
    db_session.commit()
    page = client.get("/admin/chain").get_data(as_text=True)
    assert "its mass in grams" in page and page.count("<li>") == 5
