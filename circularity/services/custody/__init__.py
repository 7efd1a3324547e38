"""The chain of custody: batches, their operations and their tamper-evident history.

register, ship, receive and correct (``operations``) and split, merge and close
(``transform``) are the operations staff take on batches. Each is one ``recording.perform``,
which takes the steps they share: the client event id and its retry (the shared
``idempotency`` rule), the write transaction, loading and locking the batches, the check that
this person may act on them (``access``) and the version they carry, then one EPCIS event
appended to the hash chain (``chain``). An operation supplies only its own work: its checks,
its changes to the batch rows and what its event records. ``reads`` is what the pages read
(lists of batches, a batch's page with its history as ``BatchPage``, label data), ``labels``
draws the QR labels and ``epcis`` exports the log.

This package may use the shared services (errors, fields, quantities, catalogue, idempotency),
the models and ``circularity.market.exchanges`` (a shipment may fulfil an agreed exchange); it
never imports the carbon or analysis packages, apart from the monthly totals every event
updates.
"""

from circularity.services.custody.operations import correct, new_code, receive, register, ship
from circularity.services.custody.transform import close, merge, split

__all__ = ["close", "correct", "merge", "new_code", "receive", "register", "ship", "split"]
