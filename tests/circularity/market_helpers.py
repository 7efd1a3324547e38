"""Short ways to list offers and demands in tests, so each test reads as its market."""

from circularity.services.market import listings
from tests.conftest import new_id, person


def offer(session, who="alice", material="170405", tonnes="10", period="month", **kw):
    return listings.create_offer(
        session,
        person(session, who),
        material=material,
        tonnes=tonnes,
        period=period,
        client_token=new_id(),
        **kw,
    )


def demand(session, who="bob", accepts="170405", tonnes="8", period="month", **kw):
    return listings.create_demand(
        session,
        person(session, who),
        accepts=accepts,
        tonnes=tonnes,
        period=period,
        client_token=new_id(),
        **kw,
    )
