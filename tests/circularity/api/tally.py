"""What the schemathesis run answered, per kind of token: responses, 5xx and answers that
broke the document. Printed at the end of the test run (conftest.py)."""

TALLY: dict[str, dict[str, int]] = {}
