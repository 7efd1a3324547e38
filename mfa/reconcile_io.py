"""The reconciliation file formats ``circularity.flows/1`` and ``circularity.reconciled/1``.

Reading validates everything the contract (docs/reconcile-format.md) rejects and raises
InputError naming the record and the field, so the command line can print one line and the web
app can show it next to the upload. Writing produces plain dicts ready for ``json.dumps``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mfa.errors import InputError
from mfa.masses import check_unit
from mfa.reconcile import Estimate, FlowInput, FlowSystem, Reconciliation, StockInput, validate

FLOWS_FORMAT = "circularity.flows/1"
RECONCILED_FORMAT = "circularity.reconciled/1"


def parse_json(text: str | bytes, source: str = "input") -> Any:
    """Parse JSON text; NaN and Infinity are refused because they are not JSON numbers."""

    def refuse(constant: str) -> None:
        raise InputError(source, "json", f"{constant} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(source, "json", f"not JSON ({error})") from None
    except ValueError as error:
        # An integer of more than 4,300 digits (Python's limit for reading one).
        raise InputError(source, "json", f"a number is too long ({error})") from None
    except RecursionError:
        # A flow or links file is three levels deep; thousands of nested brackets are not one.
        raise InputError(source, "json", "nested too deeply for a file of flows") from None


def read_flows(text: str | bytes, source: str = "input") -> FlowSystem:
    """Parse and validate a ``circularity.flows/1`` document."""
    return flows_from_dict(parse_json(text, source), source)


def flows_from_dict(data: Any, source: str = "input") -> FlowSystem:
    """Validate a decoded ``circularity.flows/1`` document and build the FlowSystem."""
    _expect_format(data, FLOWS_FORMAT, source)
    unit = data.get("unit", "t")
    check_unit(source, unit)
    processes = []
    for i, p in enumerate(_list(data, "processes", source)):
        record = f"processes[{i}]"
        if not isinstance(p, dict):
            raise InputError(record, "id", "a process must be an object with an id")
        processes.append(_string(p, "id", record))
    flows = []
    for i, f in enumerate(_list(data, "flows", source)):
        if not isinstance(f, dict):
            raise InputError(f"flows[{i}]", "id", "a flow must be an object")
        flow_id = _string(f, "id", f"flows[{i}]")
        record = f"flow '{flow_id}'"
        flows.append(
            FlowInput(
                flow_id,
                _end(f, "from", record),
                _end(f, "to", record),
                _number(f, "value", record),
                _number(f, "sd", record),
            )
        )
    stocks = []
    for i, s in enumerate(_list(data, "stocks", source, required=False)):
        if not isinstance(s, dict):
            raise InputError(f"stocks[{i}]", "process", "a stock must be an object")
        process = _string(s, "process", f"stocks[{i}]")
        record = f"stock '{process}'"
        stocks.append(StockInput(process, _number(s, "change", record), _number(s, "sd", record)))
    system = FlowSystem(tuple(processes), tuple(flows), tuple(stocks), unit)
    validate(system)
    return system


def flows_to_dict(system: FlowSystem) -> dict[str, Any]:
    """The ``circularity.flows/1`` document for a FlowSystem (what the park's own run saves)."""
    flows = []
    for f in system.flows:
        flow: dict[str, Any] = {"id": f.id, "from": f.source, "to": f.target, "value": f.value}
        if f.sd is not None:
            flow["sd"] = f.sd
        flows.append(flow)
    stocks = []
    for s in system.stocks:
        stock: dict[str, Any] = {"process": s.process, "change": s.value}
        if s.sd is not None:
            stock["sd"] = s.sd
        stocks.append(stock)
    return {
        "format": FLOWS_FORMAT,
        "unit": system.unit,
        "processes": [{"id": p} for p in system.processes],
        "flows": flows,
        "stocks": stocks,
    }


def reconciled_to_dict(result: Reconciliation) -> dict[str, Any]:
    """The ``circularity.reconciled/1`` document: every flow and stock once, in input order."""
    return {
        "format": RECONCILED_FORMAT,
        "unit": result.unit,
        "flows": [{"id": k, **_estimate(e)} for k, e in result.flows.items()],
        "stocks": [{"process": k, **_estimate(e)} for k, e in result.stocks.items()],
        "undetermined": [{kind: name} for kind, name in result.undetermined],
        "chi_square": result.chi_square,
        "dof": result.dof,
        "p_value": result.p_value,
        "consistent": result.consistent,
        "critical_value": result.critical_value,
    }


def read_reconciled(text: str | bytes, source: str = "input") -> Reconciliation:
    """Parse a ``circularity.reconciled/1`` document back (the normalised test is not kept)."""
    data = parse_json(text, source)
    _expect_format(data, RECONCILED_FORMAT, source)
    flows = {}
    for i, f in enumerate(_list(data, "flows", source)):
        flow_id = _string(f, "id", f"flows[{i}]")
        flows[flow_id] = _read_estimate(f, f"flow '{flow_id}'")
    stocks = {}
    for i, s in enumerate(_list(data, "stocks", source, required=False)):
        process = _string(s, "process", f"stocks[{i}]")
        stocks[process] = _read_estimate(s, f"stock '{process}'")
    undetermined = []
    for i, u in enumerate(_list(data, "undetermined", source, required=False)):
        if not (isinstance(u, dict) and len(u) == 1 and next(iter(u)) in ("flow", "stock")):
            raise InputError(f"undetermined[{i}]", "flow", "must be {'flow': id} or {'stock': id}")
        ((kind, name),) = u.items()
        undetermined.append((kind, str(name)))
    dof = data.get("dof")
    if not isinstance(dof, int) or isinstance(dof, bool) or dof < 0:
        raise InputError(source, "dof", "must be a non-negative integer")
    consistent = data.get("consistent")
    if not isinstance(consistent, bool):
        raise InputError(source, "consistent", "must be true or false")
    return Reconciliation(
        unit=str(data.get("unit", "t")),
        flows=flows,
        stocks=stocks,
        undetermined=tuple(undetermined),
        chi_square=_required_number(data, "chi_square", source),
        dof=dof,
        p_value=_required_number(data, "p_value", source),
        consistent=consistent,
        critical_value=_number(data, "critical_value", source),
    )


def _estimate(e: Estimate) -> dict[str, Any]:
    return {
        "value": e.value,
        "sd": e.sd,
        "measured": e.measured,
        "adjustment": e.adjustment,
        "flagged": e.flagged,
    }


def _read_estimate(item: Any, record: str) -> Estimate:
    flagged = item.get("flagged", False)
    if not isinstance(flagged, bool):
        raise InputError(record, "flagged", "must be true or false")
    return Estimate(
        _number(item, "value", record),
        _number(item, "sd", record),
        _number(item, "measured", record),
        _number(item, "adjustment", record),
        flagged,
    )


def _expect_format(data: Any, expected: str, source: str) -> None:
    if not isinstance(data, dict):
        raise InputError(source, "format", f"expected a JSON object in format {expected}")
    if data.get("format") != expected:
        raise InputError(
            source, "format", f"unknown format {_shown(data.get('format'))}, not {expected}"
        )


def _list(data: dict, key: str, source: str, required: bool = True) -> list:
    if key not in data and not required:
        return []
    value = data.get(key)
    if not isinstance(value, list):
        raise InputError(source, key, "must be a list")
    return value


def _string(item: dict, key: str, record: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(record, key, "must be a non-empty string")
    return value


def _end(item: dict, key: str, record: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(record, key, "must be a process id or null")
    return value


def _number(item: dict, key: str, record: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(record, key, f"is not a number: {_shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise InputError(record, key, "is not a finite number") from None
    if not math.isfinite(number):
        raise InputError(record, key, "is not a finite number")
    return number


def _shown(value: Any, limit: int = 40) -> str:
    """A value for a message, cut short: the message is one line, whatever the file holds."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _required_number(item: dict, key: str, record: str) -> float:
    value = _number(item, key, record)
    if value is None:
        raise InputError(record, key, "is required")
    return value
