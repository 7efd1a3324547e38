"""`circularity reconcile` writes the result and refuses bad files in one line with status 2."""

import json

import pytest
from click.testing import CliRunner

from circularity.cli import cli

SPEC_EXAMPLE = {
    "format": "circularity.flows/1",
    "unit": "t",
    "processes": [{"id": "steelworks"}, {"id": "cement"}, {"id": "recycler"}],
    "flows": [
        {"id": "f1", "from": None, "to": "steelworks", "value": 1000.0, "sd": 20.0},
        {"id": "f2", "from": "steelworks", "to": "cement", "value": 180.0, "sd": 9.0},
        {"id": "f3", "from": "steelworks", "to": "recycler", "value": None},
        {"id": "f4", "from": "steelworks", "to": None, "value": 700.0, "sd": 0},
        {"id": "f5", "from": "cement", "to": None, "value": 172.0, "sd": 5.0},
        {"id": "f6", "from": "recycler", "to": None, "value": 100.0, "sd": 2.0},
    ],
    "stocks": [{"process": "recycler", "change": 15.0, "sd": 3.0}],
}


def write(tmp_path, data, name="flows.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


#: The spec's example output, rounded to two places as the spec prints it.
SPEC_RESULT = {
    "flows": [
        {"id": "f1", "value": 989.71, "sd": 5.45, "measured": 1000.0, "adjustment": -10.29},
        {"id": "f2", "value": 174.38, "sd": 4.27, "measured": 180.0, "adjustment": -5.62},
        {"id": "f3", "value": 115.33, "sd": 3.55, "measured": None, "adjustment": None},
        {"id": "f4", "value": 700.0, "sd": 0.0, "measured": 700.0, "adjustment": 0.0},
        {"id": "f5", "value": 174.38, "sd": 4.27, "measured": 172.0, "adjustment": 2.38},
        {"id": "f6", "value": 100.1, "sd": 1.99, "measured": 100.0, "adjustment": 0.1},
    ],
    "stocks": [
        {"process": "recycler", "value": 15.23, "sd": 2.97, "measured": 15.0, "adjustment": 0.23}
    ],
    "chi_square": 0.89,
    "p_value": 0.64,
    "critical_value": 2.57,
}


def rounded(value):
    return round(value, 2) if isinstance(value, float) else value


def test_reconcile_spec_example_to_stdout(tmp_path):
    result = CliRunner().invoke(cli, ["reconcile", write(tmp_path, SPEC_EXAMPLE)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "circularity.reconciled/1" and doc["unit"] == "t"
    # Hand computation in tests/mfa/test_reconcile.py::test_spec_example.
    for key in ("flows", "stocks"):
        got = [{k: rounded(v) for k, v in item.items()} for item in doc[key]]
        assert got == [{**item, "flagged": False} for item in SPEC_RESULT[key]]
    for key in ("chi_square", "p_value", "critical_value"):
        assert round(doc[key], 2) == SPEC_RESULT[key]
    assert doc["undetermined"] == []
    assert doc["dof"] == 2 and doc["consistent"] is True


def test_reconcile_to_file_and_undetermined(tmp_path):
    data = {
        "format": "circularity.flows/1",
        "unit": "t",
        "processes": [{"id": "p"}],
        "flows": [
            {"id": "a", "from": None, "to": "p", "value": None},
            {"id": "b", "from": None, "to": "p", "value": None},
            {"id": "c", "from": "p", "to": None, "value": 10, "sd": 1},
        ],
    }
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["reconcile", write(tmp_path, data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["undetermined"] == [{"flow": "a"}, {"flow": "b"}]
    assert doc["flows"][0]["value"] is None


def flows_with(**changes):
    data = json.loads(json.dumps(SPEC_EXAMPLE))
    for key, value in changes.items():
        data[key] = value
    return data


def flow_changed(index, **fields):
    data = flows_with()
    data["flows"][index].update(fields)
    for key, value in list(fields.items()):
        if value is ...:
            del data["flows"][index][key]
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{not json", "field 'json'"),
        (flows_with(format="circularity.flows/2"), "field 'format'"),
        (flow_changed(1, id="f1"), "flow 'f1': field 'id'"),
        (flow_changed(1, to="steelworks"), "flow 'f2': field 'to'"),
        (flow_changed(1, sd=-1), "flow 'f2': field 'sd'"),
        (flow_changed(1, sd=...), "flow 'f2': field 'sd'"),
        (flow_changed(1, value="180 t"), "flow 'f2': field 'value'"),
        (flow_changed(1, sd="9"), "flow 'f2': field 'sd'"),
        ('{"format": "circularity.flows/1", "processes": [], "flows": [{"id": "x", '
         '"from": null, "to": null, "value": NaN, "sd": 1}]}', "field 'json'"),
        (flows_with(stocks=[{"process": "mill", "change": 1, "sd": 1}]),
         "stock 'mill': field 'process'"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(tmp_path, data, expected):
    result = CliRunner().invoke(cli, ["reconcile", write(tmp_path, data)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2_with_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["reconcile", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_contradicting_exact_flows_exit_2(tmp_path):
    data = {
        "format": "circularity.flows/1",
        "processes": [{"id": "p"}],
        "flows": [
            {"id": "in", "from": None, "to": "p", "value": 5, "sd": 0},
            {"id": "out", "from": "p", "to": None, "value": 4, "sd": 0},
        ],
    }
    result = CliRunner().invoke(cli, ["reconcile", write(tmp_path, data)])
    assert result.exit_code == 2
    assert "process 'p': field 'balance'" in result.stderr


def one_error_line(result, expected):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Deep nesting: a flow file is three levels deep.
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "circularity.flows/1", "x": ' + "1" * 5000 + "}", "too long"),
        (flow_changed(0, value=10**400), "flow 'f1': field 'value': is not a finite number"),
        (flow_changed(0, value=1e308), "flow 'f1': field 'value': 1e+308 t is beyond"),
        (flow_changed(0, value=1.1e9), "flow 'f1': field 'value': 1.1e+09 t is beyond"),
        (flow_changed(0, sd=1e308), "flow 'f1': field 'sd': 1e+308 t is beyond"),
        (flow_changed(0, value=-5.0), "flow 'f1': field 'value': must not be negative"),
        (flows_with(unit="parsec"), "field 'unit': 'parsec' is not a mass unit"),
        (flows_with(unit=3), "field 'unit': 3 is not a mass unit"),
        (flow_changed(0, sd=1e-300), "flow 'f1': field 'sd': 1e-300 t is below 1 mg"),
        (flows_with(stocks=[{"process": "recycler", "change": -2e9, "sd": 1}]),
         "stock 'recycler': field 'change': -2e+09 t is beyond"),
        (flow_changed(0, id="a\nb", value="x" * 10_000), "flow 'a\\nb': field 'value'"),
    ],
)  # fmt: skip
def test_out_of_range_and_malformed_files_exit_2_with_one_line(tmp_path, data, expected):
    one_error_line(CliRunner().invoke(cli, ["reconcile", write(tmp_path, data)]), expected)


def test_a_negative_stock_change_is_accepted(tmp_path):
    data = flows_with(stocks=[{"process": "recycler", "change": -15.0, "sd": 3.0}])
    result = CliRunner().invoke(cli, ["reconcile", write(tmp_path, data)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("tiny", "field"), [(1e-6, "balance"), (1e-9, "sd")])
def test_a_result_rounding_destroys_is_refused_not_printed(tmp_path, tiny, field):
    # 1 kg or 1 g next to 100 t: S = [[a + b, −b], [−b, b + c]] loses a and c to rounding
    # (b/a = 1e16 or 1e22): either the result no longer balances or S is singular.
    data = {
        "format": "circularity.flows/1",
        "unit": "t",
        "processes": [{"id": "p"}, {"id": "q"}],
        "flows": [
            {"id": "a", "from": None, "to": "p", "value": 100, "sd": tiny},
            {"id": "b", "from": "p", "to": "q", "value": 90, "sd": 100},
            {"id": "c", "from": "q", "to": None, "value": 90, "sd": tiny},
        ],
    }
    result = CliRunner().invoke(cli, ["reconcile", write(tmp_path, data)])
    one_error_line(result, f"field '{field}': standard deviations too many orders of magnitude")


@pytest.mark.parametrize("target", ["missing/out.json", "."])
def test_an_unwritable_output_exits_2_and_writes_nothing(tmp_path, target):
    # A folder that does not exist, and a path that is a folder.
    flows = write(tmp_path, SPEC_EXAMPLE)
    result = CliRunner().invoke(cli, ["reconcile", flows, "-o", str(tmp_path / target)])
    one_error_line(result, "cannot write")
    for folder in (tmp_path, tmp_path.parent):
        assert not list(folder.glob(".circularity-*")), "no temporary file is left behind"
    assert [p.name for p in tmp_path.iterdir()] == ["flows.json"]


def test_bad_input_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "out.json"
    out.write_text("previous result\n", encoding="utf-8")
    bad = write(tmp_path, flow_changed(0, value=-1.0))
    result = CliRunner().invoke(cli, ["reconcile", bad, "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows.json", "out.json"]


def test_a_file_level_refusal_names_the_file_once(tmp_path):
    path = write(tmp_path, flows_with(unit="parsec"))
    result = CliRunner().invoke(cli, ["reconcile", path])
    assert result.exit_code == 2
    assert result.stderr.count(path) == 1
    assert result.stderr.startswith(f"error: {path}: (file): field 'unit':")
