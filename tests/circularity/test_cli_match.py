"""`circularity match` writes the result file, and refuses bad files in one line with status 2."""

import json

import pytest
from click.testing import CliRunner

from circularity.cli import cli

GOOD = {
    "format": "circularity.match-instance/1",
    "transport_kgco2e_per_tkm": 1.0,
    "road_circuity": 1.0,
    "materials": {"A": {"name": "scrap", "hazardous": False, "benefit_kgco2e_per_t": 100.0}},
    "offers": [{"id": "o1", "company": "c1", "material": "A", "tonnes": 10, "lat": 0, "lon": 0}],
    "demands": [
        {"id": "d1", "company": "c2", "accepts": ["A"], "tonnes": 4, "lat": 0, "lon": 0,
         "max_distance_km": None, "hazardous_permit": False}
    ],
}  # fmt: skip


def write(tmp_path, data, name="market.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_match_to_stdout(tmp_path):
    result = CliRunner().invoke(cli, ["match", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "circularity.match-result/1"
    # 4 t at distance 0: 4 x 100 = 400 kg CO2e; 6 t left because d1 is full.
    assert doc["matches"] == [
        {"offer": "o1", "demand": "d1", "tonnes": 4.0, "distance_km": 0.0, "net_kgco2e": 400.0}
    ]
    assert doc["total_net_kgco2e"] == 400.0
    assert doc["unmatched"][0]["reason"] == "demand_filled"


def test_match_to_file(tmp_path):
    out = tmp_path / "result.json"
    result = CliRunner().invoke(cli, ["match", write(tmp_path, GOOD), "-o", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["total_net_kgco2e"] == 400.0


def bad(edit):
    data = json.loads(json.dumps(GOOD))
    edit(data)
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{not json", ["(file)", "not valid JSON"]),
        (bad(lambda d: d.update(format="other/1")), ["(instance)", "'format'"]),
        (bad(lambda d: d["offers"][0].update(material="B")), ["offer 'o1'", "'material'"]),
        (bad(lambda d: d["demands"].append(dict(d["demands"][0]))), ["demand 'd1'", "'id'"]),
        (bad(lambda d: d["offers"][0].update(tonnes=-1)), ["offer 'o1'", "'tonnes'"]),
        (bad(lambda d: d["offers"][0].update(tonnes="ten")), ["offer 'o1'", "'tonnes'"]),
        (bad(lambda d: d["demands"][0].update(lat=123)), ["demand 'd1'", "'lat'"]),
        ("[" * 100_000 + "]" * 100_000, ["(file)", "nested too deeply"]),
        ('{"format": "circularity.match-instance/1", "road_circuity": NaN}', ["NaN is not"]),
        (
            '{"format": "circularity.match-instance/1", "road_circuity": ' + "9" * 5000 + "}",
            ["(file)", "a number is too long"],
        ),
        (bad(lambda d: d["offers"][0].update(tonnes=1e308)), ["offer 'o1'", "at most 1e+09 t"]),
        (bad(lambda d: d["offers"][0].update(tonnes=10**400)), ["offer 'o1'", "not a finite"]),
        (bad(lambda d: d.update(transport_kgco2e_per_tkm=1e300)), ["'transport_kgco2e_per_tkm'"]),
        (bad(lambda d: d.update(road_circuity=50)), ["(instance)", "'road_circuity'"]),
        (
            bad(lambda d: d["materials"]["A"].update(benefit_kgco2e_per_t=-1e9)),
            ["material 'A'", "'benefit_kgco2e_per_t'"],
        ),
        (
            bad(lambda d: d["demands"][0].update(max_distance_km=1e12)),
            ["demand 'd1'", "'max_distance_km'"],
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, data, expected):
    path = write(tmp_path, data)
    result = CliRunner().invoke(cli, ["match", path])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert path in lines[0]
    for part in expected:
        assert part in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2_with_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["match", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "absent.json" in result.stderr


@pytest.mark.parametrize("target", ["missing-dir/result.json", "."])
def test_unwritable_output_exits_2_in_one_line_and_leaves_nothing(tmp_path, target):
    before = sorted(tmp_path.rglob("*"))
    path = write(tmp_path, GOOD)
    result = CliRunner().invoke(cli, ["match", path, "-o", str(tmp_path / target)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot write" in result.stderr
    assert sorted(tmp_path.rglob("*")) == sorted([*before, tmp_path / "market.json"])
