"""Every form and every route parameter of the app, tried with hostile values.

A crawler logs in as a person, follows the links of every page it may see, and collects the
forms on them (fields, choices, the values they carry). Each form is then sent once per field
and hostile value, with the other fields as the page filled them, and each route parameter is
replaced by hostile values. The walk records every answer; a test asserts none is a 5xx, and
``python -m tests.hostile`` prints which values each field accepted.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

HOSTILE = [
    "",
    "   ",
    "-5",
    "0",
    "1e30",
    "NaN",
    "inf",
    "9" * 30,
    str(2**63),
    "1,250",
    "1.250,5",
    "a\x00b",
    "x" * 10_000,
    "😀",
    "中文字段",
    "0001-01-01",
    "²",
    "no-such-choice",
]
# Route parameters: path segments (ids, codes, keys) and query values.
PATH_HOSTILE = ["0", "-1", str(2**31), str(2**63), "9" * 30, "%00", "x" * 2000, "中文", "²"]
# What a person would type into a field the page leaves empty, so that each form is sent with
# one hostile field among plausible ones (otherwise an empty required field refuses every try,
# and the list of what a field accepts says nothing). Selects left empty take their first choice.
PLAUSIBLE = {
    "material": "17 04 05",
    "accepts": "17 04 05",
    "description": "mixed scrap",
    "quantity": "2",
    "tonnes": "4",
    "carrier": "Carrier Co",
    "vehicle": "E-12345",
    "distance_km": "12",
    "reason": "weighbridge ticket",
    "operation": "R4",
    "output-0-material": "19 12 02",
    "output-0-quantity": "1",
    "part-0-quantity": "1",
    "part-1-quantity": "1",
    "name": "Harbour Paper Co",
    "address": "1 Harbour Road",
    "sector": "C22",
    "lat": "31.5",
    "lon": "121.1",
    "email": "new.person@park.test",
    "password": "a long passphrase 42",
    "key": "survey-2026",
    "edition": "2026",
    "licence": "CC0",
    "source": "Park survey",
    "note": "new survey factors",
    "year": "2026",
    "month": "1",
    "tco2e": "5",
    "gln": "4012345000016",
}
# Fields whose value is a fresh token per submission (a retry is tested elsewhere).
TOKENS = {"client_event_id", "client_token", "csrf_token"}
# Never followed: they end the walk's session or only serve files.
SKIP_LINKS = re.compile(r"^/(logout|static/)")


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return (self.method, pattern(self.action), tuple(sorted({n for n, _ in self.fields})))


class _PageParser(HTMLParser):
    """Links and forms of one page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._selected: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for attr in ("hx-get",):
            if a.get(attr):
                self.links.append(a[attr])
        if tag == "form":
            method = "post" if a.get("hx-post") else a.get("method", "get").lower()
            action = a.get("hx-post") or a.get("hx-get") or a.get("action", "")
            self._form = Form(method=method, action=action)
            self.forms.append(self._form)
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            form.choices.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select, self._selected = name, None
            form.choices[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form.choices[self._select].append(value)
            if self._selected is None or "selected" in a:
                self._selected = value
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields.append((name, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            self._form.fields.append((self._select, self._selected or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None and data.strip():
            name = self._textarea
            self._form.fields = [(n, data if n == name else v) for n, v in self._form.fields]


def pattern(path: str) -> str:
    """The route a path belongs to, with ids and batch codes generalised."""
    path = urlsplit(path).path
    path = re.sub(r"/\d+(?=/|$)", "/<id>", path)
    return re.sub(r"/b/[0-9A-Z]{26}", "/b/<code>", path)


def _local(base: str, href: str) -> str | None:
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        return None
    if SKIP_LINKS.match(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Walk:
    """What one person's walk saw and got."""

    who: str
    pages: list[str] = field(default_factory=list)
    # Each form, with the pages that carry it (a batch's forms are on each batch's page).
    forms: dict[tuple, list[tuple[str, Form]]] = field(default_factory=dict)
    answers: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    # Forms whose every instance was used up by accepted attempts before the walk ended.
    exhausted: list[tuple] = field(default_factory=list)

    @property
    def server_errors(self) -> list[tuple[str, str, str, str, int]]:
        return [a for a in self.answers if a[4] >= 500]


def page_forms(html: str) -> list[Form]:
    """The forms of a page, each with the values it would send as shown."""
    parser = _PageParser()
    parser.feed(html)
    return parser.forms


def _forms(client, url: str) -> tuple[int, list[str], list[Form]]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in (response.content_type or ""):
        return response.status_code, [], []
    parser = _PageParser()
    parser.feed(response.get_data(as_text=True))
    forms = []
    for form in parser.forms:
        action = _local(url, form.action or url)
        if action:
            form.action = action
            forms.append(form)
    return 200, parser.links, forms


def crawl(client, who: str, start: str = "/", limit: int = 200, per_batch: int = 12) -> Walk:
    """Pages reachable by links from ``start``: one per route pattern and query shape, and
    up to ``per_batch`` of each batch page pattern, so that forms a batch's state offers
    (ship, split, receive, close) are found on several batches."""
    walk = Walk(who)
    seen: dict[tuple, int] = {}
    visited: set[str] = set()
    queue = [start]
    while queue and len(walk.pages) < limit:
        url = queue.pop(0)
        shape = (pattern(url), tuple(sorted(k for k, _ in parse_qsl(urlsplit(url).query))))
        allowed = per_batch if shape[0].startswith("/b/") else 1
        if url in visited or seen.get(shape, 0) >= allowed:
            continue
        visited.add(url)
        seen[shape] = seen.get(shape, 0) + 1
        code, links, forms = _forms(client, url)
        walk.answers.append(("GET", url, "", "", code))
        if code != 200:
            continue
        walk.pages.append(url)
        for href in links:
            local = _local(url, href)
            if local:
                queue.append(local)
        for form in forms:
            walk.forms.setdefault(form.key, []).append((url, form))
    return walk


def _submit(client, form: Form, data: list[tuple[str, str]]):
    fresh = [(n, uuid.uuid4().hex if n in TOKENS - {"csrf_token"} else v) for n, v in data]
    if form.method == "post":
        return client.post(form.action, data=_multidict(fresh), headers={"HX-Request": "true"})
    query = urlencode(fresh)
    return client.get(f"{urlsplit(form.action).path}?{query}")


def _multidict(pairs: list[tuple[str, str]]):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def attempts(form: Form) -> list[tuple[str, str]]:
    """(field, value) for every field and hostile value, plus each field left out
    ("(missing)") and sent twice ("(twice)")."""
    names = list(dict.fromkeys([n for n, _ in form.fields] + list(form.choices)))
    tries = []
    for name in names:
        if name == "csrf_token":
            continue
        tries += [(name, value) for value in HOSTILE]
        tries += [(name, "(missing)"), (name, "(twice)")]
    return tries


def _filled(form: Form, name: str, value: str) -> str:
    """A field's value as the page shows it, or what a person would put in an empty one."""
    if value.strip():
        return value
    if name in PLAUSIBLE:
        return PLAUSIBLE[name]
    return next((c for c in form.choices.get(name, []) if c.strip()), value)


def form_data(form: Form, name: str, value: str) -> list[tuple[str, str]]:
    """The form as its page filled it (empty fields filled plausibly), with ``name`` set to
    ``value``."""
    others = [(n, _filled(form, n, v)) for n, v in form.fields if n != name]
    if value == "(missing)":
        return others
    if value == "(twice)":
        first = dict(form.fields).get(name) or (form.choices.get(name) or ["1"])[0]
        return others + [(name, first), (name, "2")]
    return others + [(name, value)]


def fuzz_forms(client, walk: Walk) -> None:
    """Each form with every attempt. A form that was accepted changed what it acts on (a
    batch shipped, a listing made), so it is fetched again from its page, or taken from the
    next page that carries it, before the next attempt."""
    for key, instances in walk.forms.items():
        pool = list(instances)
        page, form = pool.pop(0)
        for name, value in attempts(form):
            response = _submit(client, form, form_data(form, name, value))
            walk.answers.append(
                (form.method.upper(), form.action, name, value, response.status_code)
            )
            if form.method != "post" or response.status_code >= 400:
                continue
            fresh = _same(client, page, key)
            while fresh is None and pool:
                page, _ = pool.pop(0)
                fresh = _same(client, page, key)
            if fresh is None:
                walk.exhausted.append(key)
                break
            form = fresh


def _same(client, page: str, key: tuple) -> Form | None:
    """The form with ``key`` as ``page`` shows it now, if it still does."""
    code, _, forms = _forms(client, page)
    return next((f for f in forms if f.key == key), None)


def fuzz_paths(client, walk: Walk) -> None:
    """Every numeric or code segment and every query value of the pages seen, replaced."""
    for url in walk.pages:
        parts = urlsplit(url)
        segments = parts.path.split("/")
        for i, segment in enumerate(segments):
            if not (segment.isdigit() or re.fullmatch(r"[0-9A-Z]{26}", segment)):
                continue
            for value in PATH_HOSTILE:
                path = "/".join(segments[:i] + [value] + segments[i + 1 :])
                code = client.get(path).status_code
                walk.answers.append(("GET", parts.path, f"segment {i}", value, code))
        query = parse_qsl(parts.query, keep_blank_values=True)
        for j, (key, _) in enumerate(query):
            for value in HOSTILE:
                changed = query[:j] + [(key, value)] + query[j + 1 :]
                target = f"{parts.path}?{urlencode(changed)}"
                code = client.get(target).status_code
                walk.answers.append(("GET", parts.path, key, value, code))


def accepted(walks: list[Walk]) -> dict[tuple[str, str], list[str]]:
    """For each (route, field), the hostile values answered 2xx or 3xx."""
    table: dict[tuple[str, str], list[str]] = {}
    for walk in walks:
        for method, url, name, value, code in walk.answers:
            if not name:
                continue
            key = (f"{method} {pattern(url)}", name)
            table.setdefault(key, [])
            if code < 400 and value not in table[key]:
                table[key].append(value)
    return table


#: Set by ``python -m tests.hostile``: the walk tests append their answers to this file.
REPORT = "HOSTILE_REPORT"


def keep(walk: Walk) -> None:
    """Append the walk's answers to the report file, when ``python -m tests.hostile`` asked."""
    path = os.environ.get(REPORT)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for answer in walk.answers:
                out.write(json.dumps([walk.who, *answer]) + "\n")


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:10]}…{len(value)} chars"


def report(lines: list[list]) -> str:
    """The table ``python -m tests.hostile`` prints: per route and field, how many hostile
    values were sent, how many were refused with 4xx, the 5xx (none, or the test fails), and
    the values answered 2xx or 3xx."""
    walks: dict[str, Walk] = {}
    for who, *answer in lines:
        walks.setdefault(who, Walk(who)).answers.append(tuple(answer))
    table = accepted(list(walks.values()))
    sent: dict[tuple[str, str], list[int]] = {}
    for walk in walks.values():
        for method, url, name, _, code in walk.answers:
            if name:
                sent.setdefault((f"{method} {pattern(url)}", name), []).append(code)
    out = []
    for key in sorted(sent):
        codes = sent[key]
        refused = sum(400 <= c < 500 for c in codes)
        errors = sum(c >= 500 for c in codes)
        values = ", ".join(_shown(v) for v in table.get(key, [])) or "none"
        out.append(f"{key[0]} {key[1]}: {len(codes)} sent, {refused} refused, {errors} 5xx")
        out.append(f"    accepted: {values}")
    total = [c for codes in sent.values() for c in codes]
    out.append(
        f"{len(sent)} fields, {len(total)} requests, "
        f"{sum(400 <= c < 500 for c in total)} refused (4xx), {sum(c >= 500 for c in total)} 5xx"
    )
    return "\n".join(out)


def main() -> int:
    """Run the walk tests (on TEST_DATABASE_URL if set) and print what each field accepted."""
    import pytest

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "answers.jsonl")
        os.environ[REPORT] = path
        status = pytest.main(
            ["-q", "-p", "no:cacheprovider", "tests/circularity/web/test_hostile_input.py"]
        )
        with open(path, encoding="utf-8") as answers:
            print(report([json.loads(line) for line in answers]))
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
