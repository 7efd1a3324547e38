"""Page or fragment: responses vary on HX-Request, beside whatever else they vary on."""


def _vary(response) -> set[str]:
    return {value.strip() for value in response.headers["Vary"].split(",")}


def test_a_logged_in_fragment_varies_on_its_cookie_and_on_hx_request(as_person):
    # Flask adds Cookie to Vary whenever the session is read; HX-Request must join it.
    response = as_person("alice").get("/?status=held", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert {"Cookie", "HX-Request"} <= _vary(response)


def test_a_rendered_page_that_read_the_session_varies_on_both(app):
    from flask import session

    from circularity.web.rendering import render

    with app.test_request_context("/"):
        session.get("_user_id")  # the session is read: Flask will add Cookie
        response = app.process_response(render("error.html", message="x", field=None))
    # Accept-Encoding: every response may come compressed (circularity.web.edge).
    assert _vary(response) == {"Cookie", "HX-Request", "Accept-Encoding"}
