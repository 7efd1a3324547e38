"""Bad instances are refused with the file, the record and the field named."""

import json

import pytest
from matching_helpers import demand, market, offer

from mfa.errors import InputError, InstanceInputError
from mfa.matching import load_instance, parse_instance


def good() -> dict:
    return market(
        {"A": 100.0, "H*": (50.0, True)},
        [offer("o1", "c1", "A", 5), offer("o2", "c2", "H*", 3)],
        [demand("d1", "c3", ["A", "H*"], 5, permit=True)],
    )


def refused(data, source="market.json") -> InstanceInputError:
    with pytest.raises(InstanceInputError) as info:
        parse_instance(data, source=source)
    assert isinstance(info.value, InputError)
    return info.value


def test_good_instance_parses_into_arrays():
    inst = parse_instance(good())
    assert inst.offer_ids == ["o1", "o2"] and inst.demand_ids == ["d1"]
    assert inst.material_hazardous.tolist() == [False, True]
    assert inst.demand_max_km.tolist() == [float("inf")]


@pytest.mark.parametrize(
    ("edit", "record", "field"),
    [
        (lambda d: d.update(format="circularity.match-instance/2"), "(instance)", "format"),
        (lambda d: d["offers"][1].update(material="Q"), "offer 'o2'", "material"),
        (lambda d: d["offers"][1].update(id="o1"), "offer 'o1' (offers[1])", "id"),
        (lambda d: d["offers"][0].update(tonnes=0), "offer 'o1'", "tonnes"),
        (lambda d: d["offers"][0].update(tonnes=-2.5), "offer 'o1'", "tonnes"),
        (lambda d: d["offers"][0].update(tonnes="5"), "offer 'o1'", "tonnes"),
        (lambda d: d["offers"][0].update(tonnes=True), "offer 'o1'", "tonnes"),
        (lambda d: d["offers"][0].pop("tonnes"), "offer 'o1'", "tonnes"),
        (lambda d: d["demands"][0].update(tonnes=float("nan")), "demand 'd1'", "tonnes"),
        (lambda d: d["offers"][0].update(lat=91.0), "offer 'o1'", "lat"),
        (lambda d: d["demands"][0].update(lon=-180.5), "demand 'd1'", "lon"),
        (lambda d: d["demands"][0].update(max_distance_km=-1), "demand 'd1'", "max_distance_km"),
        (lambda d: d["demands"][0].update(accepts="A"), "demand 'd1'", "accepts"),
        (lambda d: d["demands"][0].update(hazardous_permit="yes"), "demand 'd1'",
         "hazardous_permit"),
        (lambda d: d["materials"]["A"].pop("benefit_kgco2e_per_t"), "material 'A'",
         "benefit_kgco2e_per_t"),
        (lambda d: d.update(road_circuity=0.5), "(instance)", "road_circuity"),
        (lambda d: d["offers"][0].pop("company"), "offer 'o1'", "company"),
        (lambda d: d["offers"][0].pop("id"), "offers[0]", "id"),
    ],
)  # fmt: skip
def test_each_bad_record_names_file_record_and_field(edit, record, field):
    data = good()
    edit(data)
    err = refused(data)
    assert (err.source, err.record, err.field) == ("market.json", record, field)
    message = str(err)
    assert message.startswith(f"market.json: {record}: field '{field}': ")
    assert "\n" not in message


def test_not_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": ', encoding="utf-8")
    with pytest.raises(InstanceInputError, match="broken.json: .*not valid JSON"):
        load_instance(path)


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InstanceInputError, match="cannot read"):
        load_instance(tmp_path / "absent.json")


def test_file_round_trip(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(good()), encoding="utf-8")
    assert load_instance(path).source == str(path)
