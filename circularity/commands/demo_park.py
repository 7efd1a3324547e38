"""The demo park: fictional companies around Taicang and six months of batch histories.

Everything is written through the same services people use, so the demo's events are
hash-chained, mass-conserving and verifiable like real ones. Company names are invented;
sectors, locations (31.4-31.7 N, 121.0-121.3 E), List-of-Waste codes and treatment routes
are chosen to be plausible for such a park, and docs/demo.md gives the sources of its scales:
no truck carries more than GB 1589-2016 allows, every treatment that produces residues records
them, and the district inventory it enters is an illustrative figure, labelled so everywhere.
A fixed seed makes every demo the same.
"""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from circularity.config import setting
from circularity.models import Company, User
from circularity.services import accounts, catalogue, custody
from circularity.services.carbon import balance
from circularity.services.custody import access
from circularity.services.market import listings
from circularity.times import local

DEMO_PASSWORD = "circularity-demo"
SEED = 2028
DAYS = 182


@dataclass(frozen=True)
class Site:
    key: str
    name: str
    sector: str
    lat: float
    lon: float
    kind: str = "producer"  # COMPANY_KINDS: producer, recycler or waste_management


SITES = [
    Site("steel", "Loujiang Special Steel (demo)", "steel", 31.612, 121.182),
    Site("steel2", "Fuqiao Wire Rod Mill (demo)", "steel", 31.585, 121.214),
    Site("chem", "Port Fine Chemicals (demo)", "chemicals", 31.622, 121.238),
    Site("chem2", "Yangtze Coatings (demo)", "chemicals", 31.641, 121.262),
    Site("chem3", "Liuhe Polymer Additives (demo)", "chemicals", 31.598, 121.251),
    Site("food", "Shaxi Dairy Processing (demo)", "food processing", 31.553, 121.046),
    Site("food2", "Taicang Bakery Ingredients (demo)", "food processing", 31.473, 121.118),
    Site("food3", "Shuangfeng Rice Mill (demo)", "food processing", 31.502, 121.071),
    Site("paper", "Chengxiang Paperboard (demo)", "paper", 31.468, 121.152),
    Site("paper2", "Huangjing Tissue Mill (demo)", "paper", 31.421, 121.092),
    Site("elec", "Sino-German Precision Electronics (demo)", "electronics", 31.455, 121.134),
    Site("elec2", "Taicang Sensor Assembly (demo)", "electronics", 31.448, 121.118),
    Site("elec3", "Lotus Circuit Boards (demo)", "electronics", 31.437, 121.146),
    Site("auto", "Taicang Drive Components (demo)", "auto parts", 31.462, 121.108),
    Site("auto2", "Ludu Brake Systems (demo)", "auto parts", 31.511, 121.141),
    Site("auto3", "Jiangsu Fastener Works (demo)", "auto parts", 31.476, 121.175),
    Site("auto4", "Europa Gearbox Taicang (demo)", "auto parts", 31.442, 121.162),
    Site("logi", "Taicang Port Logistics (demo)", "logistics", 31.638, 121.219),
    Site("logi2", "Zhenghe Cold Chain (demo)", "logistics", 31.571, 121.203),
    Site("build", "Taicang Urban Construction (demo)", "construction", 31.489, 121.163),
    Site("build2", "Riverside Precast Concrete (demo)", "construction", 31.532, 121.224),
    Site("recyc", "Taicang Resource Recycling (demo)", "recycling", 31.575, 121.152, "recycler"),
    Site("recyc2", "Green Fibre Recovery (demo)", "recycling", 31.519, 121.098, "recycler"),
    Site("cement", "Yangtze Cement (demo)", "cement", 31.662, 121.241),
    Site("wwtp", "Taicang Wastewater Treatment (demo)", "wastewater treatment", 31.493, 121.183),
    Site("power", "Port Power Station (demo)", "energy", 31.655, 121.205),
    Site(
        "wte",
        "Taicang Waste-to-Energy (demo)",
        "waste-to-energy",
        31.594,
        121.081,
        "waste_management",
    ),
    Site(
        "haz",
        "Jiangsu Hazardous Waste Services (demo)",
        "hazardous waste treatment",
        31.627,
        121.274,
        "waste_management",
    ),
    Site(
        "bio",
        "Taicang Organic Recycling (demo)",
        "composting and digestion",
        31.538,
        121.061,
        "recycler",
    ),
    Site(
        "landfill",
        "Taicang Sanitary Landfill (demo)",
        "landfill",
        31.418,
        121.027,
        "waste_management",
    ),
]


@dataclass(frozen=True)
class Stream:
    """A recurring waste stream: who makes it, how much, and where it goes."""

    site: str
    material: str
    mean_t: float
    every_days: int
    receiver: str
    operation: str
    basis: str = "weighed"
    outputs: tuple = ()  # (material, share) of what the treatment yields as new batches


# The two largest streams are set by their plant's output (docs/demo.md, "Generation in
# proportion to the plants"). Steelmaking yields 100 to 150 kg of slag per tonne of molten
# steel (JISF and the Nippon Slag Association, "The Slag Sector in the Steel Industry", 2006):
# at the middle of that range, 60 t of slag a week is a 480 t-a-week (25,000 t a year) mini
# mill. A dry-bottom pulverised-coal boiler leaves about 80 % of its ash as fly ash and 20 % as
# bottom ash (FHWA-RD-97-148, "User Guidelines for Waste and Byproduct Materials in Pavement
# Construction", Coal Fly Ash and Coal Bottom Ash chapters).
STEEL_T_PER_WEEK = 480.0
SLAG_T_PER_T_STEEL = 0.125
ASH_T_PER_WEEK = 43.75
FLY_ASH_SHARE, BOTTOM_ASH_SHARE = 0.8, 0.2

# A treatment's outputs add up to what it treated: what is not product is recorded as its
# residue (19 12 12 from sorting and shredding, still bottoms, acid tars, the phases of an
# emulsion split), so no mass leaves a treatment unaccounted. The shares are the demo's own
# illustrative yields (docs/demo.md), not measured figures.
STREAMS = [
    Stream("steel", "100202", STEEL_T_PER_WEEK * SLAG_T_PER_T_STEEL, 7, "cement", "R5"),
    Stream("steel", "100210", 12.0, 14, "steel2", "R4"),
    Stream(
        "steel2", "120101", 8.0, 10, "recyc", "R4", outputs=(("191202", 0.92), ("191212", 0.08))
    ),
    Stream("chem", "070104", 3.0, 14, "haz", "R2", outputs=(("070104", 0.85), ("070108", 0.15))),
    Stream("chem", "150110", 1.2, 21, "haz", "D10"),
    Stream("chem2", "080111", 0.8, 21, "haz", "D10"),
    Stream("chem3", "070108", 1.5, 28, "haz", "D10"),
    # Dairy and bakery: "materials unsuitable for consumption or processing" of their own
    # sub-chapters of the List of Waste (02 05 dairy, 02 06 baking and confectionery).
    Stream("food", "020501", 6.0, 7, "bio", "R3"),
    Stream(
        "food", "150102", 0.9, 14, "recyc", "R3", "estimated", (("191204", 0.88), ("191212", 0.12))
    ),
    Stream("food2", "020601", 2.5, 10, "bio", "R3"),
    # Rice husk (02 03 04, cereals processing) burnt as a biomass fuel.
    Stream("food3", "020304", 4.0, 14, "power", "R1", "estimated"),
    Stream("paper", "030307", 9.0, 10, "wte", "R1"),
    Stream("paper", "030305", 14.0, 14, "cement", "R1", "estimated"),
    Stream("paper2", "030310", 5.0, 14, "recyc2", "R3", outputs=(("191201", 0.9), ("191212", 0.1))),
    Stream(
        "elec",
        "160214",
        1.5,
        21,
        "recyc",
        "R4",
        outputs=(("191202", 0.55), ("191204", 0.3), ("191212", 0.15)),
    ),
    Stream(
        "elec2", "150101", 2.0, 10, "recyc2", "R3", outputs=(("191201", 0.95), ("191212", 0.05))
    ),
    # Physico-chemical treatment (D9) ends in residues disposed of by D1-D12: the sludge is
    # stabilised (19 03 04*) for the secure landfill cell; an emulsion splits into an oil
    # concentrate (19 02 07*, burnt), a sludge and a treated water phase (16 10 02).
    Stream("elec3", "110109", 0.6, 28, "haz", "D9", outputs=(("190304", 1.0),)),
    Stream("auto", "120101", 10.0, 7, "recyc", "R4", outputs=(("191202", 0.95), ("191212", 0.05))),
    Stream("auto", "130205", 0.8, 28, "haz", "R9", outputs=(("130205", 0.7), ("191102", 0.3))),
    Stream("auto2", "120103", 2.0, 14, "recyc", "R4", outputs=(("191203", 0.93), ("191212", 0.07))),
    Stream(
        "auto3",
        "120109",
        1.8,
        21,
        "haz",
        "D9",
        outputs=(("190207", 0.1), ("190304", 0.05), ("161002", 0.85)),
    ),
    Stream(
        "auto4",
        "150103",
        3.0,
        14,
        "recyc2",
        "R3",
        "estimated",
        (("191207", 0.9), ("191212", 0.1)),
    ),
    Stream(
        "logi",
        "150103",
        4.0,
        10,
        "recyc2",
        "R3",
        "estimated",
        (("191207", 0.9), ("191212", 0.1)),
    ),
    Stream("logi", "160103", 5.0, 28, "cement", "R1"),
    Stream("logi2", "150102", 1.5, 14, "wte", "R1", "estimated"),
    Stream("build", "170107", 40.0, 7, "build2", "R5"),
    Stream("build", "170904", 25.0, 10, "landfill", "D1", "estimated"),
    Stream("build2", "170101", 30.0, 14, "cement", "R5"),
    Stream("wwtp", "190805", 20.0, 7, "cement", "R1"),
    Stream("wwtp", "190801", 2.0, 14, "landfill", "D1"),
    Stream("power", "100102", ASH_T_PER_WEEK * FLY_ASH_SHARE, 7, "cement", "R5"),
    Stream("power", "100101", ASH_T_PER_WEEK * 2 * BOTTOM_ASH_SHARE, 14, "build2", "R5"),
    Stream("wte", "190112", 18.0, 7, "landfill", "D1"),
]

# Secondary materials and residues the treatments send on, and to whom; a treatment's own
# site closes what it disposes of itself (the hazardous-waste centre burns and landfills).
# Sorting residues are burnt for energy: Suzhou sends residual waste to incineration, not
# landfill, since 2019 (docs/carbon.md, "Baselines").
ONWARD = {
    "191202": ("steel", "R4"),
    "191203": ("steel2", "R4"),
    "191201": ("paper", "R3"),
    "191204": ("wte", "R1"),
    "191207": ("wte", "R1"),
    "191212": ("wte", "R1"),
    "070104": ("chem", "R2"),
    "130205": ("auto", "R9"),
    "070108": ("haz", "D10"),
    "191102": ("haz", "D10"),
    "190207": ("haz", "D10"),
    "190304": ("haz", "D5"),
    # The treated water phase is discharged under the centre's permit (release to water).
    "161002": ("haz", "D6"),
}

#: Tonnes one truck carries at most. GB 1589-2016 caps a six-axle tractor-semitrailer at 49 t
#: gross; a bulk combination weighs about 15-19 t empty (docs/demo.md, check per vehicle), so
#: 30 t of load keeps every truck within 49 t. A larger batch is split into loads first.
MAX_LOAD_T = 30.0
#: Why a receiver weighed another mass than the sender, by the sign of the difference.
REASONS_LESS = ("weighbridge reading differs", "moisture loss in transit", "spillage at loading")
REASONS_MORE = ("weighbridge reading differs", "rain absorbed in transit")


def _hazardous(code: str) -> bool:
    return catalogue.get_material(code).hazardous


CARRIERS = ["Taicang Huayun Transport", "Yangtze Bulk Haulage", "Port Hazmat Logistics"]


def road_km(a: Site, b: Site) -> float:
    """Haversine distance times a road circuity of 1.3, to 0.1 km."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(1.3 * 2 * 6371.0 * math.asin(math.sqrt(h)), 1) or 0.5


class _Seeder:
    def __init__(self, session: Session, rng: random.Random, now: datetime):
        self.session, self.rng, self.now = session, rng, now
        self.sites = {s.key: s for s in SITES}
        self.ids: dict[str, int] = {}
        self.staff: dict[str, User] = {}
        self.people: dict[str, User] = {}
        self.counter = 0

    def client_id(self) -> str:
        self.counter += 1
        return f"demo-{SEED}-{self.counter:07d}"

    def setup(self) -> dict[str, str]:
        logins = {}
        for site in SITES:
            company = accounts.create_company(
                self.session,
                name=site.name,
                sector=site.sector,
                lat=site.lat,
                lon=site.lon,
                address="Taicang, Jiangsu",
                kind=site.kind,
            )
            self.ids[site.key] = company.id
            email = f"{site.key}@demo.circularity"
            self.staff[site.key] = accounts.create_user(
                self.session,
                email=email,
                name=f"{site.name.split(' (')[0]} staff",
                password=DEMO_PASSWORD,
                role="staff",
                company_id=company.id,
            )
            logins[site.key] = email
        for role in ("coordinator", "management", "admin"):
            self.people[role] = accounts.create_user(
                self.session,
                email=f"{role}@demo.circularity",
                name=f"Demo {role}",
                password=DEMO_PASSWORD,
                role=role,
            )
            logins[role] = f"{role}@demo.circularity"
        return logins

    def when(self, day: float) -> datetime:
        return self.now - timedelta(days=DAYS - day)

    def tonnes(self, mean: float) -> str:
        return f"{max(mean * self.rng.lognormvariate(0, 0.25), 0.05):.3f}"

    def loads(self, code: str, holder: str, day: float) -> list[str]:
        """The batch as truckloads of at most MAX_LOAD_T: equal parts split off, the last
        part left in the batch itself."""
        batch = access.get_batch(self.session, self.staff[holder], code)
        count = math.ceil(batch.mass_g / (MAX_LOAD_T * 1e6))
        if count <= 1:
            return [code]
        part = f"{batch.mass_g // count / 1000:.3f}"
        outcome = custody.split(
            self.session,
            self.staff[holder],
            code,
            parts=[(part, "kg")] * (count - 1),
            client_event_id=self.client_id(),
            event_time=self.when(day),
        )
        return [*outcome.batch_codes[1:], code]

    def deliver(self, code: str, sender: str, receiver: str, day: float, hazardous: bool):
        """Ship a batch in truckloads and receive those no longer on the road (sometimes
        weighed otherwise); returns the codes received."""
        received = []
        for load in self.loads(code, sender, day - 0.05):
            if self.deliver_load(load, sender, receiver, day, hazardous):
                received.append(load)
        return received

    def deliver_load(self, code: str, sender: str, receiver: str, day: float, hazardous: bool):
        """Ship one truckload and, unless it is still on the road, receive it."""
        a, b = self.sites[sender], self.sites[receiver]
        custody.ship(
            self.session,
            self.staff[sender],
            code,
            destination_company_id=self.ids[receiver],
            carrier=CARRIERS[2] if hazardous else self.rng.choice(CARRIERS[:2]),
            vehicle=f"苏E·{self.rng.randint(10000, 99999)}",
            distance_km=road_km(a, b),
            client_event_id=self.client_id(),
            event_time=self.when(day),
        )
        arrival = day + 0.1 + self.rng.random() * 0.4
        if self.when(arrival) > self.now - timedelta(hours=6):
            return None
        batch = access.get_batch(self.session, self.staff[receiver], code)
        sent = batch.mass_g
        received, reason = sent, ""
        if self.rng.random() < 0.12:  # the receiver's weighbridge disagrees now and then
            received = int(sent * (1 + self.rng.uniform(-0.06, 0.02)))
            if received != sent:
                reason = self.rng.choice(REASONS_MORE if received > sent else REASONS_LESS)
        return custody.receive(
            self.session,
            self.staff[receiver],
            code,
            quantity_value=str(received / 1000),
            unit="kg",
            reason=reason,
            client_event_id=self.client_id(),
            event_time=self.when(arrival),
        )

    def run_stream(self, stream: Stream) -> None:
        staff = self.staff[stream.site]
        day = self.rng.uniform(0, stream.every_days)
        while day < DAYS:
            outcome = custody.register(
                self.session,
                staff,
                material=stream.material,
                quantity_value=self.tonnes(stream.mean_t),
                unit="t",
                basis=stream.basis,
                client_event_id=self.client_id(),
                event_time=self.when(day),
            )
            code = outcome.primary_code
            ship_day = day + self.rng.uniform(0.5, 3)
            if ship_day < DAYS:
                hazardous = _hazardous(stream.material)
                for load in self.deliver(code, stream.site, stream.receiver, ship_day, hazardous):
                    self.treat(load, stream, ship_day + self.rng.uniform(1, 6))
            day += stream.every_days * self.rng.uniform(0.7, 1.3)

    def treat(self, code: str, stream: Stream, day: float) -> None:
        if day >= DAYS:
            return
        receiver = self.staff[stream.receiver]
        batch = access.get_batch(self.session, receiver, code)
        grams = [int(batch.mass_g * share) for _material, share in stream.outputs]
        if grams and abs(sum(share for _m, share in stream.outputs) - 1) < 1e-9:
            grams[-1] = batch.mass_g - sum(grams[:-1])  # the rounding grams, not lost
        outputs = [
            (material, f"{g / 1000:.3f}", "kg", "weighed")
            for (material, _share), g in zip(stream.outputs, grams, strict=True)
        ]
        outcome = custody.close(
            self.session,
            receiver,
            code,
            operation=stream.operation,
            outputs=outputs,
            client_event_id=self.client_id(),
            event_time=self.when(day),
        )
        for product in outcome.batch_codes[1:]:
            self.send_on(product, stream.receiver, day + self.rng.uniform(2, 10))

    def send_on(self, code: str, holder: str, day: float) -> None:
        batch = access.get_batch(self.session, self.staff[holder], code)
        target = ONWARD.get(batch.material_code)
        if target is None or day >= DAYS:
            return
        receiver, operation = target
        onward = Stream(holder, batch.material_code, 0, 1, receiver, operation)
        if receiver == holder:  # disposed of on its own site
            self.treat(code, onward, day)
            return
        for load in self.deliver(code, holder, receiver, day, _hazardous(batch.material_code)):
            self.treat(load, onward, day + 2)

    def splits_and_merges(self) -> None:
        """A few of the other operations, as staff use them."""
        staff = self.staff["elec2"]
        parts = [
            custody.register(
                self.session,
                staff,
                material="150101",
                quantity_value=quantity,
                unit="t",
                basis="estimated",
                client_event_id=self.client_id(),
                event_time=self.now - timedelta(days=4 - i),
            ).primary_code
            for i, quantity in enumerate(("0.62", "0.48", "0.55"))
        ]
        custody.merge(
            self.session,
            staff,
            parts,
            client_event_id=self.client_id(),
            event_time=self.now - timedelta(days=1),
        )
        outcome = custody.register(
            self.session,
            self.staff["build"],
            material="170405",
            quantity_value="12.5",
            unit="t",
            basis="estimated",
            client_event_id=self.client_id(),
            event_time=self.now - timedelta(days=3),
        )
        custody.split(
            self.session,
            self.staff["build"],
            outcome.primary_code,
            parts=[("4", "t"), ("3.5", "t")],
            client_event_id=self.client_id(),
            event_time=self.now - timedelta(days=2),
        )


# What the demo companies list in the market: (site, material, tonnes, period) offers and
# (site, accepted materials, tonnes, period, max km, hazardous permit) demands, from the streams.
DEMO_OFFERS = [
    ("steel2", "120101", "30", "month"),
    ("auto", "120101", "40", "month"),
    ("recyc", "191202", "45", "month"),
    ("elec2", "150101", "6", "month"),
    ("recyc2", "191201", "12", "month"),
    ("food", "150102", "2", "month"),
    ("build2", "170101", "60", "month"),
    ("auto", "130205", "0.8", "month"),
    ("logi", "150103", "12", "month"),
    ("steel", "100202", "250", "month"),
]
DEMO_DEMANDS = [
    ("steel", "120101, 191202, 170405", "80", "month", "25", False),
    ("paper", "150101, 191201", "15", "month", "", False),
    ("recyc", "150102", "5", "month", "20", False),
    ("build", "170101", "40", "month", "15", False),
    ("haz", "130205", "2", "month", "", True),
    ("cement", "100202, 170101", "300", "month", "", False),
]


def list_market(seeder: "_Seeder") -> None:
    """A few offers and demands so the coordinator's pages have a market to match."""
    for site, material, tonnes, period in DEMO_OFFERS:
        listings.create_offer(
            seeder.session,
            seeder.staff[site],
            material=material,
            tonnes=tonnes,
            period=period,
            client_token=seeder.client_id(),
        )
    for site, accepts, tonnes, period, max_km, permit in DEMO_DEMANDS:
        listings.create_demand(
            seeder.session,
            seeder.staff[site],
            accepts=accepts,
            tonnes=tonnes,
            period=period,
            max_distance_km=max_km,
            hazardous_permit=permit,
            client_token=seeder.client_id(),
        )


#: China's fossil CO2 in 2022, 11.4 Gt (Global Carbon Budget 2022, Friedlingstein et al.,
#: Earth Syst. Sci. Data 14:4811-4900; the figure services/carbon/balance.py bounds with), over
#: its 1,411.75 million people at the end of 2022 (National Bureau of Statistics, Statistical
#: Communiqué on the 2022 National Economic and Social Development): 8.075 t CO2 a person.
NATIONAL_T_CO2_PER_PERSON = 11.4e9 / 1_411.75e6
DEMO_INVENTORY_AREA = "energy"


def demo_inventory_source(people: int) -> str:
    """The source text of the demo's inventory figure: what it is, and what it is not."""
    return (
        f"ILLUSTRATIVE demo figure, not Taicang's inventory: China's fossil CO2 per person "
        f"(11.4 Gt in 2022, Global Carbon Budget 2022; 1,411.75 million people, NBS) = "
        f"{NATIONAL_T_CO2_PER_PERSON:.3f} t x {people:,} people; all under energy, as no cited "
        f"split over the eight key areas exists"
    )


def record_demo_inventory(seeder: "_Seeder") -> None:
    """One illustrative annual figure for each year the demo covers, so the balance page can
    be seen working: scaled from the national per-person figure to the district's population
    (DISTRICT_POPULATION, the pilot's 150,000), marked illustrative, entered under energy only
    (the other key areas stay empty and the balance says so)."""
    people = int(setting("DISTRICT_POPULATION"))
    first, last = local(seeder.when(0)).year, local(seeder.now).year
    for year in range(first, last + 1):
        balance.record_inventory(
            seeder.session,
            seeder.people["management"],
            area=DEMO_INVENTORY_AREA,
            year=year,
            month=0,
            tco2e=round(NATIONAL_T_CO2_PER_PERSON * people, 1),
            source=demo_inventory_source(people),
            illustrative=True,
        )


def seed(session: Session, now: datetime | None = None, streams: list[Stream] | None = None):
    """Create the demo park in an empty database; returns the logins by company key."""
    if session.exec(select(Company)).first() is not None:
        raise ValueError("The database already has companies; the demo park needs an empty one.")
    seeder = _Seeder(
        session, random.Random(SEED), (now or datetime.now(UTC)).replace(microsecond=0)
    )
    logins = seeder.setup()
    for stream in STREAMS if streams is None else streams:
        seeder.run_stream(stream)
    seeder.splits_and_merges()
    list_market(seeder)
    record_demo_inventory(seeder)
    return logins
