"""Short ways to run the services in tests, so each test reads as the story it tells."""

from circularity.services import custody
from tests.conftest import company_id, new_id, person


def register(session, who="alice", quantity="10", unit="t", material="170405", **kw):
    kw.setdefault("basis", "weighed")
    return custody.register(
        session,
        person(session, who),
        material=material,
        quantity_value=quantity,
        unit=unit,
        client_event_id=new_id(),
        **kw,
    ).primary_code


def ship(session, code, who="alice", to="Recycler", **kw):
    return custody.ship(
        session,
        person(session, who),
        code,
        destination_company_id=company_id(session, to),
        carrier="Huayun",
        vehicle="苏E·12345",
        distance_km="12.5",
        client_event_id=new_id(),
        **kw,
    )


def receive(session, code, who="bob", quantity="10", unit="t", **kw):
    return custody.receive(
        session,
        person(session, who),
        code,
        quantity_value=quantity,
        unit=unit,
        client_event_id=new_id(),
        **kw,
    )


def close(session, code, who="bob", operation="R4", outputs=(), **kw):
    return custody.close(
        session,
        person(session, who),
        code,
        operation=operation,
        outputs=list(outputs),
        client_event_id=new_id(),
        **kw,
    )
