"""The symbiosis market: what companies have and can take, and how it is matched.

``listings`` are offers and demands entered by staff (``offer_history`` proposes one from a
company's batch history); ``matching`` turns the open market into an instance for
``mfa.matching`` and stores each run and its ranked proposals; ``exchanges`` are accepted
proposals and the batches shipped under them; ``benefits`` are the cited benefit and freight
factors the matching uses; ``pages`` gathers what each market page shows in one call.

This package may use the shared services, the models and the carbon factor library (the
one reader of the DEFRA files); it never imports custody operations or analysis.
"""
