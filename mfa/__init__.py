"""mfa: the material-flow science of circularity.

Pure Python on numpy, scipy and networkx. It never imports Flask, SQLModel or
``circularity``: the web app hands it plain records, so the same code serves files,
the command line and the database alike.
"""

from mfa.errors import MFAError

__all__ = ["MFAError"]
