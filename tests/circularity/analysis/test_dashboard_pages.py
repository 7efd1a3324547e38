"""The dashboard pages: who may see them, the numbers they show, and that the CSV files, the PDF
and the charts carry the same figures. The history is test_aggregates.history (2025): recycling
rate 18.8 / 25.8 = 72.9 %, landfill diversion 76.7 %, 6 t of slag landfilled by the steelworks.
"""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pypdfium2
import pytest
from sqlmodel import func, select

from circularity.models import Event, MonthlyFlow
from tests.helpers import history


@pytest.mark.parametrize("who, status", [("alice", 403), ("bob", 403), ("cora", 200),
                                         ("mia", 200), ("ada", 200)])  # fmt: skip
def test_who_sees_the_dashboard(as_person, who, status):
    assert as_person(who).get("/dashboard/").status_code == status
    assert as_person(who).get("/dashboard/streams.csv").status_code == status
    assert as_person(who).get("/dashboard/report.pdf").status_code == status


def test_anonymous_is_sent_to_log_in(client):
    assert client.get("/dashboard/").status_code in (302, 303)


def test_a_bad_period_names_the_field(as_person):
    response = as_person("mia").get("/dashboard/?period=1850")
    assert response.status_code == 422


def test_the_page_shows_the_figures_with_links_to_what_is_behind_them(db_session, as_person):
    history(db_session)
    html = as_person("mia").get("/dashboard/?period=2025").get_data(as_text=True)
    assert "58.3 %" in html and "64.3 %" in html  # tests/.../test_monthly_totals.py by hand
    assert "16.800 t" in html
    assert "source=c" in html and "target=landfill" in html and "material=100202" in html
    assert "/analysis/?start=2025-01-01&amp;end=2025-01-31" in html
    assert "/carbon/credits" in html
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)  # every chart is well-formed XML
    assert html.count("<svg") >= 4  # two sparklines, the balance and the Sankey
    coordinator = as_person("cora").get("/dashboard/?period=2025").get_data(as_text=True)
    assert "/carbon/credits" not in coordinator


def test_the_csv_files_carry_the_page_numbers(db_session, as_person):
    history(db_session)
    client = as_person("mia")
    html = client.get("/dashboard/?period=2025").get_data(as_text=True)
    indicators = list(csv.reader(io.StringIO(
        client.get("/dashboard/indicators.csv?period=2025").get_data(as_text=True))))  # fmt: skip
    assert indicators[1] == ["Recycling rate", "58.3", "%"]
    for _name, value, unit in indicators[1:]:
        assert f"{value} {unit}".strip() in html
    streams = list(csv.reader(io.StringIO(
        client.get("/dashboard/streams.csv?period=2025").get_data(as_text=True))))  # fmt: skip
    assert streams[1][:5] == ["Steelworks", "100202", "Landfill (D1, D5, D12)", "6.000", "2"]
    assert ">6.000</a>" in html
    companies = client.get("/dashboard/companies.csv?period=2025").get_data(as_text=True)
    for row in list(csv.reader(io.StringIO(companies)))[1:]:
        assert all(cell in html for cell in row)
    trend = list(csv.reader(io.StringIO(
        client.get("/dashboard/trend.csv?period=2025").get_data(as_text=True))))  # fmt: skip
    assert trend[2][0] == "2025-02" and trend[2][1] == "5.000"
    for name in ("balance", "flows"):
        assert client.get(f"/dashboard/{name}.csv").status_code == 200


def test_the_pdf_opens_and_holds_the_headline_figures(db_session, as_person):
    history(db_session)
    response = as_person("mia").get("/dashboard/report.pdf?period=2025")
    assert response.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(response.data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "Recycling rate" in text and "58.3" in text and "16.800" in text
    assert "Steelworks" in text and "2025-01" in text


def test_reading_the_dashboard_changes_nothing(db_session, as_person):
    history(db_session)

    def state():
        db_session.expire_all()
        return (db_session.exec(select(func.count()).select_from(Event)).one(),
                db_session.exec(select(func.sum(MonthlyFlow.mass_g))).one(),
                db_session.exec(select(func.count()).select_from(MonthlyFlow)).one())  # fmt: skip

    before = state()
    client = as_person("mia")
    for url in ("/dashboard/", "/dashboard/?period=2025", "/dashboard/trend.csv",
                "/dashboard/report.pdf"):  # fmt: skip
        assert client.get(url).status_code == 200
    assert state() == before


def test_months_without_closings_have_no_rate(as_person, db_session):
    # Nothing was treated in these months: the rate is undefined, shown empty, never 0 %.
    client = as_person("mia")
    rows = list(csv.reader(io.StringIO(
        client.get("/dashboard/trend.csv").get_data(as_text=True))))  # fmt: skip
    header, months = rows[0], rows[1:]
    assert len(months) == 12
    rate, diversion = header.index("recycling rate %"), header.index("landfill diversion rate %")
    assert all(m[1] == "0.000" and m[rate] == "" and m[diversion] == "" for m in months)
