"""Query strings of the links a page repeats row after row.

``url_for`` builds the route and encodes every argument again for each link; on an analysis
page with hundreds of rows that was a large part of rendering it. A template builds the base
address once with ``url_for`` and adds the row's query string from here.
"""

from urllib.parse import urlencode

#: What Werkzeug's url_for leaves unquoted in a query string (the WHATWG URL standard's
#: query percent-encode set), so a link built here reads exactly as url_for writes it.
SAFE = "!$'()*,/:;?@"


def query(**args) -> str:
    """The query string ``url_for`` gives these arguments, in their order; None is left out."""
    return urlencode([(k, v) for k, v in args.items() if v is not None], safe=SAFE)
