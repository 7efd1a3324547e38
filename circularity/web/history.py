"""A batch's history as HTML lines, each event rendered once and then kept.

Events are append-only (database triggers refuse changes), so an event's line on a batch page
changes only when something shown around the event changes: a company or person renamed,
another language, time zone or mount point. All of those are part of the key, with the event's
hash (its content and place in the chain), so a kept line is never stale. A page with fifty
events then costs about what one with five does; rendering each line anew was most of the
cost of a long history.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup

from circularity.services.custody.reads import HistoryEntry

CAPACITY = 20_000  # lines per worker process, about 10 MB
EXTENSION = "circularity.history_lines"


class LineCache:
    """A bounded, thread-safe map that forgets the least recently used line first."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._lines: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        return self.get_many([key])[0]

    def get_many(self, keys: list[tuple]) -> list[Markup | None]:
        """The kept lines of ``keys`` (None where there is none), under one hold of the lock."""
        found = []
        with self._lock:
            for key in keys:
                line = self._lines.get(key)
                if line is not None:
                    self._lines.move_to_end(key)
                found.append(line)
        return found

    def put(self, key: tuple, line: Markup) -> None:
        with self._lock:
            self._lines[key] = line
            self._lines.move_to_end(key)
            while len(self._lines) > self.capacity:
                self._lines.popitem(last=False)

    def __len__(self) -> int:
        return len(self._lines)


def history_lines(
    entries: list[HistoryEntry],
    names: dict[int, str],
    related: dict[int, list],
    load_events: Callable[[list[int]], dict],
) -> list[Markup]:
    """One rendered ``<li>`` per history entry, from the app's cache where it can be.

    ``entries`` need only the columns a line is known by (queries.history); the events of
    lines not kept yet are read whole with ``load_events`` (ids to rows), in one query.
    """
    cache = current_app.extensions.setdefault(EXTENSION, LineCache())
    setting = (str(get_locale()), current_app.config.get("PARK_TIMEZONE"), request.script_root)
    around, keys = [], []
    for entry in entries:
        others = related.get(entry.event.id, [])
        destination = names.get(entry.event.destination_company_id)
        around.append((others, destination))
        keys.append((entry.event.hash, entry.role, entry.delta_g, entry.company, entry.user,
                     destination, tuple(other.code for other in others), setting))  # fmt: skip
    lines = cache.get_many(keys)
    missing = [i for i, line in enumerate(lines) if line is None]
    if missing:
        events = load_events([entries[i].event.id for i in missing])
        template = current_app.jinja_env.get_template("batches/_history_entry.html")
        for i in missing:
            entry = replace(entries[i], event=events[entries[i].event.id])
            others, destination = around[i]
            line = Markup(template.render(entry=entry, destination=destination, others=others))
            cache.put(keys[i], line)
            lines[i] = line
    return lines
