"""Errors raised by mfa; the CLI and the web turn them into messages for people."""


class MFAError(Exception):
    """Base class of every error mfa raises on purpose."""


class InputError(MFAError):
    """An input record is malformed; the message names the record and the field."""

    def __init__(self, record: str, field: str, problem: str):
        self.record = record
        self.field = field
        self.problem = problem
        super().__init__(f"{record}: field '{field}': {problem}")


class InstanceInputError(InputError):
    """A record of an input file is malformed; the message names the file as well."""

    def __init__(self, source: str, record: str, field: str, problem: str):
        self.source = source
        super().__init__(record, field, problem)
        self.args = (f"{source}: {self.args[0]}",)


class ContradictionError(InputError):
    """Exact and unmeasured quantities alone leave a balance that nothing may adjust to hold."""


class UnknownRouteError(InputError):
    """A closing treatment names a route that is not one of R1-R13 or D1-D15."""
