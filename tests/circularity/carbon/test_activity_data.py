"""Inventory figures from activity data: electricity times China's grid factor, fuels times a
cited factor. By hand: 1 kg CO2/kWh is 1 t CO2/MWh, so 1,000 MWh at East China's 2023 factor
(0.5500) is 550.0 t; at 2022's (0.5617) 561.7 t; 100 t of a fuel at a cited 3,186 kg CO2e/t is
318.6 t."""

import pytest
from sqlmodel import func, select

from circularity.models import InventoryEntry
from circularity.services.carbon import activity, balance
from circularity.services.errors import InvalidInput
from tests.helpers import person, post


def count(session) -> int:
    session.rollback()  # end the read snapshot: the requests wrote through their own sessions
    return session.exec(select(func.count()).select_from(InventoryEntry)).one()


def test_the_shipped_grid_factors_are_the_published_ones():
    grid = activity.grid_factors()
    published = {
        "cn-2022-national": 0.5366,
        "cn-2022-east": 0.5617,
        "cn-2023-national": 0.5306,
        "cn-2023-east": 0.5500,
        "cn-2021-national": 0.5568,
    }
    assert {key: grid[key].kg_co2_per_kwh for key in published} == published
    # The 2023 report's stated changes: national -1.1 %, East China -2.1 % on 2022.
    assert grid["cn-2023-national"].kg_co2_per_kwh == pytest.approx(0.5366 * 0.989, abs=3e-4)
    assert grid["cn-2023-east"].kg_co2_per_kwh == pytest.approx(0.5617 * 0.979, abs=3e-4)
    assert next(iter(grid.values())).year == 2023  # newest first in the form's list
    assert not any("Jiangsu" in g.grid for g in grid.values())  # not shipped: not checked


def test_electricity_times_the_grid_factor(db_session):
    mia = person(db_session, "mia")
    inputs = [activity.electricity("1000", "cn-2023-east")]
    entry = activity.record(
        db_session, mia, area="energy", year="2023", month="", inputs=inputs, source="meter"
    )
    assert entry.tco2e == pytest.approx(550.0)
    [used] = activity.recorded_inputs(entry)
    assert used["amount"] == 1000 and used["unit"] == "MWh"
    assert used["factor"] == pytest.approx(550.0) and used["factor_unit"] == "kg CO2/MWh"
    assert "MEE/NBS 2023" in used["factor_source"] and "0.5500 kg CO2/kWh" in used["factor_source"]
    assert balance.balance(db_session).years[0].inventory_t == pytest.approx(550.0)


def test_electricity_and_a_fuel_add_up_and_replace_a_typed_total(db_session):
    mia = person(db_session, "mia")
    balance.record_inventory(db_session, mia, area="energy", year="2022", month="", tco2e="900")
    inputs = [
        activity.electricity("1000", "cn-2022-east"),
        activity.fuel("diesel", "100", "t", "3186", "a cited factor, page 12", row=0),
    ]
    entry = activity.record(db_session, mia, area="energy", year="2022", month="", inputs=inputs)
    assert entry.tco2e == pytest.approx(561.7 + 318.6)
    assert [i["what"] for i in activity.recorded_inputs(entry)] == ["electricity", "diesel"]
    assert balance.inventory(db_session)[("energy", 2022, 0)].id == entry.id
    assert count(db_session) == 2  # the typed total is kept, the newest figure counts


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: activity.electricity("1000", "cn-2022-jiangsu"), "grid"),
        (lambda: activity.electricity("-5", "cn-2022-east"), "electricity_mwh"),
        (lambda: activity.electricity("1e30", "cn-2022-east"), "electricity_mwh"),
        (lambda: activity.electricity("2000000000", "cn-2022-east"), "electricity_mwh"),
        (lambda: activity.fuel("diesel", "100", "t", "3186", "", row=1), "fuels[1].source"),
        (lambda: activity.fuel("diesel", "100", "t", "1e6", "x", row=0), "fuels[0].factor"),
        (lambda: activity.fuel("", "100", "t", "3186", "x", row=0), "fuels[0].what"),
    ],
)
def test_bad_activity_data_names_its_field(make, field):
    with pytest.raises(InvalidInput) as caught:
        make()
    assert caught.value.field == field


def test_nothing_to_compute_from_is_refused(db_session):
    mia = person(db_session, "mia")
    with pytest.raises(InvalidInput) as caught:
        activity.record(db_session, mia, area="energy", year="2023", month="", inputs=[])
    assert caught.value.field == "inputs" and count(db_session) == 0


def test_the_page_records_from_activity_data_and_shows_the_inputs(as_person, db_session):
    client = as_person("mia")
    form = {
        "area": "energy",
        "year": "2023",
        "month": "",
        "electricity_mwh": "1,000",  # English grouping: one thousand
        "grid": "cn-2023-east",
        "fuel_what": ["natural gas", ""],
        "fuel_amount": ["10", ""],
        "fuel_unit": ["t", ""],
        "fuel_factor": ["2,500", ""],
        "fuel_source": ["supplier's certificate 2023", ""],
        "source": "utility bills 2023",
    }
    assert post(client, "/carbon/inventory/activity", form).status_code == 303
    html = client.get("/carbon/").get_data(as_text=True)
    assert "575.000 t CO2e" not in html  # the figure is shown by the page's own format
    assert "550 t CO2e" in html and "25 t CO2e" in html  # 1,000 × 0.55; 10 × 2,500 / 1,000
    assert "East China grid, 2023" in html and "supplier&#39;s certificate 2023" in html
    assert count(db_session) == 1
    entry = db_session.exec(select(InventoryEntry)).one()
    assert entry.tco2e == pytest.approx(575.0)


def test_a_bad_line_answers_422_naming_it_and_keeps_what_was_typed(as_person, db_session):
    client = as_person("mia")
    form = {
        "area": "energy",
        "year": "2023",
        "electricity_mwh": "1000",
        "grid": "cn-2023-east",
        "fuel_what": ["diesel"],
        "fuel_amount": ["100"],
        "fuel_unit": ["t"],
        "fuel_factor": ["3186"],
        "fuel_source": [""],
    }
    response = post(client, "/carbon/inventory/activity", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Fuel 1: Source" in html and 'value="diesel"' in html and 'value="1000"' in html
    assert count(db_session) == 0


def test_german_numbers_are_read_as_german(as_person, db_session):
    client = as_person("mia")
    client.set_cookie("language", "de")
    form = {"area": "energy", "year": "2023", "electricity_mwh": "1.000,5", "grid": "cn-2023-east"}
    assert post(client, "/carbon/inventory/activity", form).status_code == 303
    db_session.rollback()
    entry = db_session.exec(select(InventoryEntry)).one()
    assert entry.tco2e == pytest.approx(1000.5 * 0.55)


def test_a_typed_total_is_read_in_the_persons_language(as_person, db_session):
    client = as_person("mia")
    form = {"area": "energy", "year": "2023", "month": "", "tco2e": "1,250", "source": "x"}
    assert post(client, "/carbon/inventory", form).status_code == 303
    db_session.rollback()
    assert db_session.exec(select(InventoryEntry)).one().tco2e == 1250
