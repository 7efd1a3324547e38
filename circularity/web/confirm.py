"""Asking before an action that cannot be taken back, in one place.

A button that withdraws a listing, decides a proposal or disables an account sends its form;
unless the form says ``confirmed=1``, the answer is a page that says what will happen, with
the same form to send again confirmed (custody's operations show the event itself, see
``custody.recording.ConfirmationNeeded``). Plain HTML: it works without scripts.
"""

from flask import request

from circularity.web.rendering import render


def ask_first(question: str, detail: str = "", back: str = ""):
    """The confirmation page for this request's form, or None when it was confirmed."""
    if request.form.get("confirmed") == "1":
        return None
    sent = [
        (k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed")
    ]
    return render(
        "confirm_action.html",
        question=question,
        detail=detail,
        action=request.path,
        sent=sent,
        back=back or request.referrer or "",
    )
