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
