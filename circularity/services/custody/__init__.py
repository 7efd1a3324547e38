"""The chain of custody: batches, their operations and their tamper-evident history.

register, ship, receive, correct, split, merge and close are the operations staff take on a
batch (``operations``, ``transform``); each records one EPCIS event (``recording``) appended to
the hash chain (``chain``). ``access`` says who may see and act on which batch, ``reads`` is what
the batch pages and lists read, ``labels`` draws the QR labels and ``epcis`` exports the log.

This package may use the shared services (errors, fields, quantities, catalogue), the models
and ``circularity.market.exchanges`` (a shipment may fulfil an agreed exchange); it never
imports the carbon or analysis packages, apart from the monthly totals every event updates.
"""

from circularity.services.custody.operations import correct, new_code, receive, register, ship
from circularity.services.custody.transform import close, merge, split

__all__ = ["close", "correct", "merge", "new_code", "receive", "register", "ship", "split"]
