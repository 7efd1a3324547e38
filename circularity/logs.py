"""What never goes into the logs: password hashes, email addresses, SQL parameters.

The engine hides SQL parameters from every database error and from SQL logging
(``hide_parameters``, circularity.db). What a database still puts into its own messages,
such as PostgreSQL's ``DETAIL: Key (email)=(alice@park.test) already exists.``, reaches the
log through the app's error handler; ``Redact`` removes email addresses and argon2 hashes
from each record of the app's logger, its traceback included, before any handler sees it.
"""

import logging
import re

from flask import Flask

# An address's usual characters; a quote is left out, as it more often encloses one.
EMAIL = re.compile(r"[\w.!#$%&*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+")
# The PHC string format: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash> (base64 without padding).
ARGON2 = re.compile(r"\$argon2(id|i|d)\$(v=\d+\$)?m=\d+,t=\d+,p=\d+(\$[A-Za-z0-9+/]+){1,2}")


def redact(text: str) -> str:
    """``text`` with every argon2 hash and email address replaced by a placeholder."""
    return EMAIL.sub("<email>", ARGON2.sub("<password hash>", text))


class Redact(logging.Filter):
    """Rewrites a record's message and traceback without hashes and addresses. The
    traceback is kept as text only, so no handler can format the raw exception again."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = record.exc_text or logging.Formatter().formatException(
                record.exc_info
            )
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def init_app(app: Flask) -> None:
    if not any(isinstance(f, Redact) for f in app.logger.filters):
        app.logger.addFilter(Redact())
