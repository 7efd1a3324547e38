"""Every page fits a phone: each page the app serves, opened as each role in a 360 x 740 phone
viewport, is no wider than the screen, every control on it can be tapped, and axe-core finds
no critical or serious accessibility violation.

The pages come from the app's URL map, so a new page is checked without being listed here;
path parameters are filled from real rows of the demo park (a matching run, an agreed
exchange, booked credits, a batch on its way). Each role logs in once and keeps its browser
context; every page is visited once and the three tests read what the visit found.
"""

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from circularity import migrate
from circularity.commands import demo_park
from circularity.db import get_engine
from circularity.models import Batch, Credit, Exchange, Job, MatchRun, Proposal, User
from circularity.services import custody, jobs
from circularity.services.carbon import credits, factors
from circularity.services.market import matching
from tests.browser.conftest import LiveServer
from tests.conftest import PG_URL

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
#: Enough streams for every kind of page: slag in several trucks, hazardous waste, food
#: residues, a recycler and the cement works that take the market's offers.
STREAMS = {"steel", "chem", "food", "auto", "elec3", "recyc", "cement"}
#: The demo logins of each role; anonymous sees the public pages and the login page.
ROLES = {
    "anonymous": None,
    "staff": "steel@demo.circularity",
    "coordinator": "coordinator@demo.circularity",
    "management": "management@demo.circularity",
    "admin": "admin@demo.circularity",
}
#: Endpoints that answer with something other than a page: htmx fragments.
FRAGMENTS = {"batches.material_options"}
SERIOUS = {"critical", "serious"}
#: Pages whose markup is a vendored tool's, not ours: Swagger UI draws the API's
#: documentation (its own colours, sizes and nested buttons); its width is still checked.
NOT_OURS = {"/api/v1/docs"}


def is_page(rule) -> bool:
    """A GET endpoint that shows a page: not a file (label.png, sankey.<fmt>, report.pdf),
    not the JSON API nor the EPCIS REST bindings (the API's documentation page is a page),
    not static files nor fragments."""
    if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint in FRAGMENTS:
        return False
    if rule.endpoint.startswith("epcis_rest."):
        return False
    if rule.endpoint.startswith("api.") and rule.endpoint != "api.docs":
        return False
    return "." not in rule.rule.rsplit("/", 1)[-1]


@dataclass
class Park:
    """Rows whose pages are worth seeing, by the path parameter they fill."""

    held: str = ""  # a batch the staff's company holds: ship, split, merge, close, correct
    incoming: str = ""  # a batch on its way to the staff's company: receive
    values: dict[str, list] = field(default_factory=dict)

    def paths(self, rule, adapter) -> list[str]:
        """The rule's path for each meaningful choice of its parameters."""
        arguments = set(rule.arguments)
        if arguments == {"code", "action"}:
            # Werkzeug keeps a rule's converters there; an any() converter lists its choices.
            actions = rule._converters["action"].items
            choices = [
                {"code": self.incoming if a == "receive" else self.held, "action": a}
                for a in actions
            ]
        elif arguments == {"code"}:
            choices = [{"code": self.held}, {"code": self.incoming}]
        elif len(arguments) == 1:
            (name,) = arguments
            choices = [{name: value} for value in self.values[name]]
        else:
            assert not arguments, f"fill the parameters of {rule.rule}"
            choices = [{}]
        return [adapter.build(rule.endpoint, c) for c in choices]


def seed(url: str) -> Park:
    """The demo park, a matching run (through its job) with one proposal accepted, credits
    booked, and one batch shipped to the staff's company."""
    from circularity import create_app

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True, "JOBS_URL": "immediate"}
    )
    engine = get_engine(app)
    migrate.upgrade(engine)
    streams = [s for s in demo_park.STREAMS if s.site in STREAMS]
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        demo_park.seed(session, streams=streams)
        people = {u.email: u for u in session.exec(select(User)).all()}
        staff = people[ROLES["staff"]]
        job = jobs.start(session, people[ROLES["coordinator"]], "matching", uuid.uuid4().hex)
        session.refresh(job)
        run = session.get(MatchRun, job.result_id)
        proposal = session.exec(
            select(Proposal).where(Proposal.run_id == run.id).order_by(Proposal.rank)
        ).first()
        matching.decide(session, people[ROLES["coordinator"]], proposal.id, "accepted")
        credits.book_credits(session, people[ROLES["management"]])
        held = session.exec(
            select(Batch).where(Batch.company_id == staff.company_id, Batch.status == "held")
        ).all()
        other = session.exec(
            select(Batch).where(Batch.status == "held", Batch.company_id != staff.company_id)
        ).first()
        holder = session.exec(
            select(User).where(User.company_id == other.company_id, User.role == "staff")
        ).first()
        custody.ship(
            session,
            holder,
            other.code,
            destination_company_id=staff.company_id,
            carrier="Park Haulage",
            vehicle="苏E·12345",
            distance_km="8.5",
            client_event_id=uuid.uuid4().hex,
        )
        park = Park(
            held=held[-1].code,
            incoming=other.code,
            values={
                "run_id": session.exec(select(MatchRun.id)).all(),
                "job_id": session.exec(select(Job.id)).all(),
                "exchange_id": session.exec(select(Exchange.id)).all(),
                "credit_id": [session.exec(select(Credit.id).order_by(Credit.id)).first()],
                "key": [library.key for library in factors.all_sets(session)],
            },
        )
    engine.dispose()
    return park


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    if PG_URL:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"circ_phone_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        yield make_url(PG_URL).set(database=name).render_as_string(False)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('phone') / 'demo.sqlite'}"


# Each visible control, brought into view (inside its scrolling box too), must be the element
# a finger at its centre touches, within the screen's width; buttons and form fields are at
# least 44 px high on a touch screen (a check box is tapped through its label).
UNTAPPABLE = """() => {
  const FORM_CONTROLS = "button, input:not([type=checkbox]):not([type=radio]), select, textarea";
  const controls = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  const found = [];
  for (const el of controls) {
    // Links in charts (SVG) are overlapping drawn shapes, not targets found by their centre.
    if (!(el instanceof HTMLElement) || !el.checkVisibility({visibilityProperty: true})) continue;
    el.scrollIntoView({block: "center", inline: "center"});
    const box = el.getClientRects()[0];
    if (!box || box.width === 0 || box.height === 0) continue;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const hit = x >= 0 && x <= innerWidth ? document.elementFromPoint(x, y) : null;
    const label = hit && hit.closest("label");
    const reached = hit && (el.contains(hit) || (label && label.contains(el)));
    const low = el.matches(FORM_CONTROLS) && box.height < 44;
    if (reached && !low) continue;
    const name = (el.innerText || el.value || el.name || el.id || "").trim().slice(0, 40);
    const why = low ? `${Math.round(box.height)} px high`
      : hit ? `covered by ${hit.tagName.toLowerCase()}` : "off the screen";
    found.push(`${el.tagName.toLowerCase()} "${name}" at x=${Math.round(x)}: ${why}`);
  }
  window.scrollTo(0, 0);
  return found;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


@dataclass
class Survey:
    """What the phone found, page by page: (role, path, finding)."""

    too_wide: list[tuple[str, str, int]] = field(default_factory=list)
    untappable: list[tuple[str, str, str]] = field(default_factory=list)
    violations: list[tuple[str, str, str]] = field(default_factory=list)
    shown: dict[str, set[str]] = field(default_factory=dict)  # page -> roles that saw it
    paths: list[str] = field(default_factory=list)


def log_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo_park.DEMO_PASSWORD)
    page.click("form.stack button")
    page.wait_for_url(re.compile(r"/$"))


# getAttribute: an SVG link's href is an object, not the URL.
LINKS = """() => Array.from(document.querySelectorAll("a[href]"),
  (a) => new URL(a.getAttribute("href"), location.href).href)"""


class Visitor:
    """One role's phone: visits pages once each, remembering the links it saw, so pages
    reached only with a query string (the batches behind one flow) are opened from a link."""

    def __init__(self, page, server, role: str, survey: Survey):
        self.page, self.server, self.role, self.survey = page, server, role, survey
        self.seen: set[str] = set()
        self.answered: set[str] = set()
        self.links: dict[str, str] = {}

    def visit(self, path: str, query: str = "") -> None:
        response = self.page.goto(self.server.url + path + query)
        shown = urlsplit(self.page.url).path
        if response is None or response.status != 200:
            return
        if shown != "/login" or path == "/login":  # not sent to log in
            self.answered.add(path)
            self.survey.shown.setdefault(path, set()).add(self.role)
        if shown in self.seen:
            return
        self.seen.add(shown)
        for link in self.page.evaluate(LINKS):
            parts = urlsplit(link)
            if link.startswith(self.server.url) and parts.query:
                self.links.setdefault(parts.path, "?" + parts.query)
        self.check(shown)

    def visit_linked(self, paths: list[str]) -> None:
        for path in paths:
            if path not in self.answered and path in self.links:
                self.visit(path, self.links[path])

    def check(self, shown: str) -> None:
        where, page, survey = (self.role, shown), self.page, self.survey
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            survey.too_wide.append((*where, width))
        if shown in NOT_OURS:
            return
        survey.untappable += [(*where, c) for c in page.evaluate(UNTAPPABLE)]
        page.add_script_tag(path=AXE)
        for v in page.evaluate(AXE_RUN):
            if v["impact"] in SERIOUS:
                targets = ", ".join(v["targets"][:3]) + (" ..." if len(v["targets"]) > 3 else "")
                survey.violations.append((*where, f"{v['rule']} ({v['impact']}): {targets}"))


@pytest.fixture(scope="module")
def survey(chromium, demo_url) -> Survey:
    park = seed(demo_url)
    server = LiveServer(demo_url)
    server.start()
    adapter = server.app.url_map.bind("")
    rules = sorted((r for r in server.app.url_map.iter_rules() if is_page(r)), key=str)
    paths = [p for rule in rules for p in park.paths(rule, adapter)]
    found = Survey(paths=paths)
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for role, email in ROLES.items():
                context = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT},
                    is_mobile=True,
                    has_touch=True,
                    bypass_csp=True,  # axe is added as an inline script
                )
                context.set_default_timeout(30_000)
                page = context.new_page()
                if email:
                    log_in(page, server, email)
                visitor = Visitor(page, server, role, found)
                for path in paths:
                    visitor.visit(path)
                visitor.visit_linked(paths)
                context.close()
            browser.close()
    finally:
        server.stop()
    return found


def listing(rows) -> str:
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


def test_every_page_is_seen_by_some_role(survey):
    assert [p for p in survey.paths if p not in survey.shown] == []
    assert "anonymous" in survey.shown["/login"]
    assert {"staff", "coordinator", "management", "admin"} <= survey.shown["/"]


def test_no_page_is_wider_than_a_phone(survey):
    assert survey.too_wide == [], f"wider than {WIDTH} px:\n" + listing(survey.too_wide)


def test_every_control_can_be_tapped(survey):
    assert survey.untappable == [], "not tappable:\n" + listing(survey.untappable)


def test_axe_finds_no_serious_violation(survey):
    assert survey.violations == [], "axe:\n" + listing(survey.violations)
