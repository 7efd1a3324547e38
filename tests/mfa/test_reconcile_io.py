"""The reconcile file formats round-trip, and the uncertainty defaults behave as documented."""

import json
import subprocess
import sys

import pytest

from mfa.errors import InputError
from mfa.reconcile import FlowInput, FlowSystem, StockInput, reconcile
from mfa.reconcile_io import (
    flows_to_dict,
    read_flows,
    read_reconciled,
    reconciled_to_dict,
)
from mfa.uncertainty import standard_deviation

SYSTEM = FlowSystem(
    ("a", "b"),
    (
        FlowInput("in", None, "a", 100.0, 2.0),
        FlowInput("ab", "a", "b", 60.0, 12.0),
        FlowInput("out", "b", None, None),
        FlowInput("waste", "a", "landfill", 38.0, 0.0),
    ),
    (StockInput("b", 5.0, 1.0),),
)


def test_flows_round_trip():
    assert read_flows(json.dumps(flows_to_dict(SYSTEM))) == SYSTEM


def test_reconciled_round_trip():
    result = reconcile(SYSTEM)
    doc = reconciled_to_dict(result)
    back = read_reconciled(json.dumps(doc))
    assert reconciled_to_dict(back) == doc
    # a: 100 ± 2 in, 38 exact to landfill, so ab = 100 − 38 = 62 unless "in" moves; the
    # weights 4 vs 144 put almost all of the 2 t gap on ab: ab = 60 + 144·2/148 = 61.95.
    assert doc["flows"][1]["value"] == pytest.approx(60 + 144 * 2 / 148)


def test_reconciled_reader_names_bad_field():
    doc = reconciled_to_dict(reconcile(SYSTEM))
    doc["dof"] = "one"
    with pytest.raises(InputError) as info:
        read_reconciled(json.dumps(doc))
    assert info.value.field == "dof"


def test_uncertainty_defaults():
    assert standard_deviation(1000.0, "weighed") == pytest.approx(20.0)
    assert standard_deviation(1000.0, "estimated") == pytest.approx(200.0)
    assert standard_deviation(1000.0, "exact") == 0.0
    assert standard_deviation(10.0, "weighed") == 1.0  # the 1 kg floor beats 2 % of 10 kg
    assert standard_deviation(10.0, "weighed", relative={"weighed": 0.5}, floor=0) == 5.0
    with pytest.raises(InputError):
        standard_deviation(1.0, "guessed")


def test_mfa_never_imports_the_web_stack():
    # Every module of the package, so a new one cannot slip a web import in unnoticed.
    code = (
        "import importlib, pkgutil, sys, mfa\n"
        "for m in pkgutil.iter_modules(mfa.__path__):\n"
        "    importlib.import_module('mfa.' + m.name)\n"
        "web = ('flask', 'sqlmodel', 'sqlalchemy', 'circularity')\n"
        "bad = [m for m in web if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
