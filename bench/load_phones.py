"""The client side of the load benchmark: phones, what people do with them, and their checks.

A ``Phone`` is one person's browser for one visit: its own cookies (copied from a login made
once at set-up, as a phone keeps its session), over the generator's shared keep-alive
connections. It sends a visit's requests one after the other, each as soon as the previous
answer is in, and times each request from the moment the phone meant to send it: the visit's
scheduled arrival for the first request, the previous answer for the others. So the time a
request waits behind others, in the generator or in the server, counts in its latency.

Every answer is checked (status, redirect target, and that a shipment or receipt really went
through); a wrong answer or a failed request is counted as an error and ends the visit.
"""

import asyncio
import html
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

import aiohttp

HIDDEN = re.compile(r'name="(csrf_token|client_event_id|version)" value="([^"]*)"')
BATCH_LINK = re.compile(r'href="/b/([0-9A-Z]+)"')
OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]+)</option>')
COMPANY = re.compile(r'<p class="who">[^<]*· ([^<·]+)</p>')  # name · role · company

DEMO_PASSWORD = "circularity-demo"  # every demo account's (README, "Quick start")

SCANNERS = ("steel", "chem", "food", "paper", "auto", "elec", "recyc", "cement")
# Who ships to whom in the ship/receive visits, with a material each pair plausibly moves.
PAIRS = (
    ("steel", "recyc", "17 04 05"),
    ("auto", "recyc", "12 01 01"),
    ("paper", "recyc2", "15 01 01"),
    ("build", "build2", "17 01 01"),
)
MANAGER = "management"


class Failed(Exception):
    """An answer that was not what the visit expected; its text is the error's name."""


@dataclass
class Recorder:
    """What one load step saw: every answered request with its latency and the loop time it
    was answered at, failed visits, and the shipments and receipts the server took."""

    samples: list[tuple[str, float, float]] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)  # by scenario and what went wrong
    failed: Counter = field(default_factory=Counter)  # visits, by scenario
    recorded: Counter = field(default_factory=Counter)
    in_window: int = 0  # answers that came within the step's seconds

    def latencies(self, scenario: str | None = None) -> list[float]:
        return [t for kind, t, _done in self.samples if scenario in (None, kind)]

    def fail(self, scenario: str, what: str, visits: int = 1) -> None:
        self.errors[f"{scenario}: {what}"] += visits
        self.failed[scenario] += visits


class Phone:
    """One person's browser on one visit (see the module docstring for its timing)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base: str,
        cookies: dict[str, str],
        recorder: Recorder | None,
        scenario: str,
        ready_at: float,
    ):
        self.http, self.base, self.cookies = http, base, dict(cookies)
        self.recorder, self.scenario, self.ready_at = recorder, scenario, ready_at

    async def send(
        self, method: str, path: str, form: dict | None = None, htmx: bool = False
    ) -> tuple[int, str | None, str]:
        """One request; answers status, the redirect's path and the body."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if htmx:  # as the page's htmx asks for a fragment
            headers["HX-Request"] = "true"
        data = None
        if form is not None:
            data = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        async with self.http.request(
            method, self.base + path, data=data, headers=headers, allow_redirects=False
        ) as response:
            text = await response.text()
        done = asyncio.get_running_loop().time()
        if self.recorder is not None:
            self.recorder.samples.append((self.scenario, done - self.ready_at, done))
        self.ready_at = done
        for name, morsel in response.cookies.items():
            if morsel.value:
                self.cookies[name] = morsel.value
            else:  # Flask deletes a cookie by sending it empty
                self.cookies.pop(name, None)
        location = response.headers.get("Location")
        return response.status, urlsplit(location).path if location else None, text

    async def page(self, path: str, expect: str | None = None, htmx: bool = False) -> str:
        """GET a page that must answer 200 (and hold ``expect``, when given)."""
        status, _location, text = await self.send("GET", path, htmx=htmx)
        if status != 200:
            raise Failed(f"GET {path.split('?')[0]} answered {status}")
        if expect is not None and expect not in text:
            raise Failed(f"GET {path.split('?')[0]} without {expect!r}")
        return text

    async def post(self, path: str, form: dict, then: str) -> None:
        """POST a form that must answer 303 to ``then``."""
        status, location, _text = await self.send("POST", path, form)
        if status != 303 or location != then:
            raise Failed(f"POST {path} answered {status} {location}")


def hidden_fields(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


@dataclass
class Park:
    """What the visits need: logged-in cookies per person, codes each scanner may see, each
    staff member's company id, and the pool of batches free for a ship/receive visit."""

    base: str
    cookies: dict[str, dict[str, str]]
    scan_codes: dict[str, list[str]]
    company_ids: dict[str, int]  # by person
    pool: list[tuple[str, str, str]]  # (code, holder, receiver): one visit at a time each


async def log_in(http: aiohttp.ClientSession, base: str, email: str, password: str) -> dict:
    phone = Phone(http, base, {}, None, "set-up", 0.0)
    token = hidden_fields(await phone.page("/login"))["csrf_token"]
    await phone.post("/login", {"email": email, "password": password, "csrf_token": token}, "/")
    return phone.cookies


async def register(phone: Phone, material: str) -> str:
    """A batch of 1 t registered through the form, as staff do; answers its code."""
    fields = hidden_fields(await phone.page("/batches/new"))
    form = {**fields, "material": material, "quantity": "1", "unit": "t", "basis": "weighed"}
    status, location, _text = await phone.send("POST", "/batches", form)
    if status != 303 or not location or not location.startswith("/b/"):
        raise Failed(f"registering a batch answered {status} {location}")
    return location.removeprefix("/b/")


async def prepare_park(http: aiohttp.ClientSession, base: str, per_pair: int) -> Park:
    """Log everyone in once, find what scanners may see, and register the ship/receive pool.

    Done through the app's own pages, unmeasured, so the benchmark depends on what people
    see and do rather than on the app's internals."""
    staff = {*SCANNERS, *(p for pair in PAIRS for p in pair[:2])}
    cookies = {
        key: await log_in(http, base, f"{key}@demo.circularity", DEMO_PASSWORD)
        for key in (*sorted(staff), MANAGER)
    }

    def phone(key: str) -> Phone:
        return Phone(http, base, cookies[key], None, "set-up", 0.0)

    # The demo park's own batches, found before the pool's fill the first page of the list.
    scan_codes, companies = {}, {}
    for key in sorted(staff):
        pages = [await phone(key).page(f"/?page={n}") for n in (1, 2)]
        scan_codes[key] = sorted({code for p in pages for code in BATCH_LINK.findall(p)})
        if key in SCANNERS and not scan_codes[key]:
            raise Failed(f"{key} sees no batch to scan")
        who = COMPANY.search(pages[0])
        if not who:
            raise Failed(f"{key}'s page does not name the company")
        companies[key] = html.unescape(who.group(1)).strip()
    pool = []
    for holder, receiver, material in PAIRS:
        sender = phone(holder)
        pool += [(await register(sender, material), holder, receiver) for _ in range(per_pair)]
    # A ship form lists every company but the holder's: two holders' forms name them all.
    ids = {}
    for holder, _receiver, _material in PAIRS[:2]:
        code = next(c for c, h, _r in pool if h == holder)
        form = await phone(holder).page(f"/b/{code}/ship", htmx=True)
        ids.update({html.unescape(name).strip(): int(i) for i, name in OPTION.findall(form)})
    if missing := set(companies.values()) - ids.keys():
        raise Failed(f"no ship form lists {sorted(missing)}")
    company_ids = {key: ids[name] for key, name in companies.items()}
    return Park(base, cookies, {k: scan_codes[k] for k in SCANNERS}, company_ids, pool)


Visit = Callable[[aiohttp.ClientSession, Park, Recorder, float, random.Random], Awaitable[None]]


async def scan(http, park: Park, recorder: Recorder, at: float, rng: random.Random) -> None:
    """A staff member scans a label: the scan redirects to the batch page, which opens."""
    key = rng.choice(SCANNERS)
    code = rng.choice(park.scan_codes[key])
    phone = Phone(http, park.base, park.cookies[key], recorder, "scan", at)
    status, location, _text = await phone.send("GET", f"/scan?code={code}")
    if status != 302 or location != f"/b/{code}":
        raise Failed(f"GET /scan answered {status} {location}")
    await phone.page(location)


async def ship_receive(http, park: Park, recorder: Recorder, at: float, rng) -> None:
    """The holder ships a batch of the pool, the receiver receives it; the pair then hold it
    the other way round. A batch is in one visit at a time, so visits never collide; a visit
    that fails keeps its batch out of the pool, since its state is no longer known."""
    if not park.pool:
        raise Failed("no batch free in the pool")
    code, holder, receiver = park.pool.pop(rng.randrange(len(park.pool)))
    page_path = f"/b/{code}"
    sender = Phone(http, park.base, park.cookies[holder], recorder, "ship/receive", at)
    form = await sender.page(f"{page_path}/ship", expect='name="destination"', htmx=True)
    destination = park.company_ids[receiver]
    ship = {
        **hidden_fields(form),
        "destination": destination,
        "carrier": "Bench Haulage",
        "vehicle": "SU-0001",
        "distance_km": "4.2",
    }
    await sender.post(f"{page_path}/ship", ship, then=page_path)
    recorder.recorded["ship"] += 1
    await sender.page(page_path, expect="Shipped.")
    taker = Phone(
        http, park.base, park.cookies[receiver], recorder, "ship/receive", sender.ready_at
    )
    page = await taker.page(page_path, expect=f'action="{page_path}/receive"')
    receive = {**hidden_fields(page), "quantity": "1", "unit": "t"}
    await taker.post(f"{page_path}/receive", receive, then=page_path)
    recorder.recorded["receive"] += 1
    await taker.page(page_path, expect="Received.")
    park.pool.append((code, receiver, holder))


async def management(http, park: Park, recorder: Recorder, at: float, rng) -> None:
    """Park management opens the dashboard, then one of the analysis pages it links to."""
    phone = Phone(http, park.base, park.cookies[MANAGER], recorder, "management", at)
    period = rng.choice(["", f"?period={date.today().year}"])
    await phone.page(f"/dashboard/{period}", expect='id="period"')
    end = date.today()
    days = {"start": (end - timedelta(days=rng.choice((30, 90, 180)))).isoformat()}
    days["end"] = end.isoformat()
    company = park.company_ids[rng.choice(SCANNERS)]
    path = rng.choice(
        [
            f"/analysis/?{urlencode(days)}",
            f"/analysis/?{urlencode({**days, 'company': company})}",
            f"/analysis/?{urlencode({**days, 'by': 'material'})}",
            f"/analysis/reconcile?{urlencode(days)}",
        ]
    )
    await phone.page(path, expect=days["start"])  # the page shows the period it computed


async def bare(http, park: Park, recorder: Recorder, at: float, rng) -> None:
    """The yardstick: the bare Flask endpoint on the same server, answering ``ok``."""
    phone = Phone(http, park.base, {}, recorder, "bare", at)
    status, _location, text = await phone.send("GET", "/_bare/")
    if status != 200 or text != "ok":
        raise Failed(f"GET /_bare/ answered {status}")


# Each scenario with its share of the mix's visits and the HTTP requests one visit makes.
MIX: dict[str, tuple[Visit, float, int]] = {
    "scan": (scan, 0.70, 2),
    "ship/receive": (ship_receive, 0.20, 6),
    "management": (management, 0.10, 2),
}
BARE: dict[str, tuple[Visit, float, int]] = {"bare": (bare, 1.0, 1)}
