"""`circularity sankey` draws a links file and refuses bad ones in one line with status 2."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from PIL import Image

from circularity.cli import cli

CSV = "source,target,material,value_kg,circular\nA,R,scrap,1000.0,no\nR,A,recyclate,800.0,yes\n"
JSON = {
    "format": "circularity.sankey/1",
    "unit": "t",
    "links": [
        {"source": "A", "target": "R", "material": "scrap", "value": 1.0},
        {"source": "R", "target": "A", "material": "recyclate", "value": 0.8},
    ],
}


def write(tmp_path, data, name="links.csv"):
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def run(*args):
    return CliRunner().invoke(cli, ["sankey", *args])


def test_csv_to_svg_on_standard_output(tmp_path):
    result = run(write(tmp_path, CSV), "--title", "Park")
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) == 2


def test_json_in_tonnes_reads_as_kilograms(tmp_path):
    out = tmp_path / "again.csv"
    result = run(write(tmp_path, JSON, "links.json"), "-o", str(out))
    assert result.exit_code == 0, result.output
    # 1 t and 0.8 t are 1000 kg and 800 kg, the loop R -> A drawn as one
    assert out.read_text(encoding="utf-8") == CSV


def test_png_by_extension(tmp_path):
    out = tmp_path / "park.png"
    assert run(write(tmp_path, CSV), "-o", str(out)).exit_code == 0
    assert Image.open(io.BytesIO(out.read_bytes())).format == "PNG"


def one_error_line(result, expected):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr


HEADER = "source,target,material,value_kg,circular\n"


def link_json(**changes):
    item = {"source": "A", "target": "R", "material": "scrap", "value": 5, **changes}
    return {"format": "circularity.sankey/1", "unit": "kg", "links": [item]}


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        ("a,b\n", "l.csv", "field 'header'"),
        (HEADER + "A,R,scrap,-5,no\n", "l.csv", "line 2: field 'value_kg': must not be negative"),
        (HEADER + "A,R,scrap,1e308,no\n", "l.csv", "field 'value_kg': 1e+308 kg is beyond"),
        (HEADER + "A,R,scrap,nan,no\n", "l.csv", "field 'value_kg': is not a finite number"),
        (HEADER + "A,R,scrap,1e-300,no\n", "l.csv", "less than 1 g"),
        (HEADER + "A,R,scrap,five,no\n", "l.csv", "field 'value_kg': is not a number"),
        (HEADER + "A,R,scrap,5\n", "l.csv", "has 4 cells, not 5"),
        (HEADER + ",R,scrap,5,no\n", "l.csv", "field 'source': must be a non-empty name"),
        (HEADER + "A,R,scrap,5,maybe\n", "l.csv", "field 'circular'"),
        (HEADER + "A," + "R" * 300 + ",scrap,5,no\n", "l.csv", "longer than 200"),
        (HEADER + '"' + "x" * 200_000 + '",R,scrap,5,no\n', "l.csv", "field larger than"),
        (b"\xff\xfe" + b"\x00" * 10, "l.csv", "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "l.json", "nested too deeply"),
        (
            '{"format": "circularity.sankey/1", "links": [{"value": NaN}]}',
            "l.json",
            "NaN is not a JSON number",
        ),
        (link_json(value=-1), "l.json", "links[0]: field 'value': must not be negative"),
        (link_json(value=10**400), "l.json", "links[0]: field 'value': is not a finite number"),
        (link_json(value="5"), "l.json", "links[0]: field 'value': is not a number"),
        (link_json(target=None), "l.json", "field 'target': must be a non-empty name"),
        ({**link_json(), "unit": "parsec"}, "l.json", "field 'unit': 'parsec' is not a mass"),
        ({**link_json(), "format": "x"}, "l.json", "field 'format'"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, data, name, expected):
    one_error_line(run(write(tmp_path, data, name)), expected)


@pytest.mark.parametrize("target", ["missing/out.svg", "."])
def test_an_unwritable_output_exits_2_and_leaves_nothing(tmp_path, target):
    links = write(tmp_path, CSV)
    one_error_line(run(links, "-o", str(tmp_path / target)), "cannot write")
    assert [p.name for p in tmp_path.iterdir()] == ["links.csv"]


def test_a_missing_file_exits_2(tmp_path):
    one_error_line(run(str(tmp_path / "absent.csv")), "cannot read")
