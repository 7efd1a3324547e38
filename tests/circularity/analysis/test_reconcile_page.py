"""The reconciliation page words a flag as a statistical signal with its z and critical value."""

from tests.circularity.analysis.test_analysis_pages import PERIOD, recycled, short_receipt
from tests.helpers import company_id


def test_a_flag_shows_its_z_the_critical_value_and_its_batches(db_session, as_person):
    # 10 t registered and shipped (sd 200 kg each), 6 t held by the recycler (sd 120 kg):
    # three tested quantities, so z_c = Φ⁻¹(1 − α'/2) with α' = 1 − 0.95^(1/3) = 0.01695,
    # z_c = 2.39. All three move to the weighted mean 7,674 kg (tests/circularity/analysis/
    # test_records.py has the χ²), so each is flagged.
    code = short_receipt(db_session)
    recycler = company_id(db_session, "Recycler")
    html = as_person("mia").get(f"/analysis/reconcile?{PERIOD}").get_data(as_text=True)
    assert 'id="tested">3<' in html and 'id="critical-value">2.39<' in html
    flagged = html.split('id="flagged"', 1)[0].rsplit("<p>", 1)[1]
    assert "statistical signal, not a finding" in flagged
    assert "critical value 2.39 for 3 tested quantities" in flagged
    table = html.split('id="flagged"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr")[2:]
    assert len(rows) == 3
    assert all('<td class="num">2.39</td>' in row for row in rows)
    assert [f'href="/b/{code}"' in row for row in rows] == [True, True, False]
    # The stock change points to the company's page, where its batches are.
    assert f'href="/analysis/?company={recycler}&amp;start=2025-01-01' in rows[2]


def test_a_consistent_period_has_a_critical_value_and_no_flag(db_session, as_person):
    recycled(db_session)
    html = as_person("cora").get(f"/analysis/reconcile?{PERIOD}").get_data(as_text=True)
    assert "No flow is flagged." in html
    assert 'id="critical-value">' in html
