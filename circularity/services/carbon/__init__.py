"""The district carbon balance: factor sets, credits, the inventory and the balance.

``factors`` is the emission-factor library (shipped cited sets, the List-of-Waste mapping,
local sets imported from CSV); ``credits`` books the avoided emissions of circularly closed
batches once to the district ledger; ``balance`` holds the inventory by key area and sets the
balance against the path to climate neutrality; ``csvfiles`` accepts an uploaded CSV whole or
rejects it whole with a report per row; ``pages`` gathers what each carbon page shows in one
call.

This package reads batches and events but never records them; it never imports market or
analysis.
"""
