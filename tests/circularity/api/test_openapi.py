"""The OpenAPI 3.1 document is generated from the views, valid, complete and public; its page
is Swagger UI from static/, under a policy that lets it show data: images and nothing else
more than every other page."""

import re

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from circularity.api.auth import PUBLIC


def test_the_document_is_valid_openapi_3_1(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.content_type == "application/json"
    document = answer.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_api_route_is_in_the_document_with_its_scope(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    routes = {
        (method, re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in PUBLIC
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == documented
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            scope = "read" if method == "get" else "record"
            assert operation["security"] == [{"bearer": [scope]}], (method, path)
            assert operation["summary"], (method, path)
            for code, answer in operation["responses"].items():
                media = "application/problem+json" if int(code) >= 400 else "application/json"
                assert list(answer["content"]) == [media], (method, path, code)


def test_the_docs_page_is_served_from_this_site_alone(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'src="/static/vendor/swagger-ui-bundle-5\.35\.0\.\w{12}\.js"', html)
    assert "<script>" not in html and "http" not in html.replace('href="/', "")
    policy = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy and "script-src 'self';" in policy
    other = client.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self';" in other and "data:" not in other
    with client.get("/static/vendor/swagger-ui-5.35.0.css") as style:
        assert style.status_code == 200


def test_the_docs_page_names_its_language_as_a_valid_tag(client):
    html = client.get("/api/v1/docs", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(
        as_text=True
    )
    # BCP 47 writes the script subtag with a hyphen: "zh_Hans" is no language tag.
    assert '<html lang="zh-Hans">' in html
