"""Template addresses come from a cache (web/urls.py); each must be what Flask builds."""

from flask import url_for

from circularity.web.urls import cached_url_for

CALLS = [
    ("static", {"filename": "css/app.css"}),
    ("home.index", {}),
    ("batches.show", {"code": "0123456789ABCDEFGHJKMNPQRS"}),
    ("batches.act", {"code": "0123456789ABCDEFGHJKMNPQRS", "action": "ship"}),
    # query arguments keep the order they were given in
    ("analysis.flow", {"source": "c1", "target": "c2", "from": "2026-01"}),
    ("analysis.flow", {"from": "2026-01", "source": "c1", "target": "c2"}),
    ("batches.labels_sheet", {"code": ["A", "B"]}),  # a list: not cached, still right
    ("home.index", {"_anchor": "top"}),
]


def test_cached_addresses_equal_flasks(app):
    for script_root in ("", "/park"):
        with app.test_request_context("/", base_url=f"http://park.test{script_root}/"):
            for endpoint, values in CALLS:
                for _ in range(2):  # the second call is served from the cache
                    assert cached_url_for(endpoint, **values) == url_for(endpoint, **values)
            assert cached_url_for("home.index") == f"{script_root}/"


def test_templates_use_the_cache(app):
    assert app.jinja_env.globals["url_for"] is cached_url_for
