"""Words a person understands for the keys the code stores, in the reader's language.

Statuses (``in_transit``), key areas (``digital_control``), routes (``closed_loop_source``),
roles, event operations, recovery and disposal operations and the rest are stored and exchanged
as keys; pages show them by name. This is the one table of those names: templates use it
through the ``named`` filter (``{{ batch.status|named("status") }}``), code through
:func:`display_name`. CSV files, the API and the EPCIS export keep the keys.
"""

from flask_babel import lazy_gettext as _l

NAMES = {
    # models.batch.BATCH_STATUSES
    "status": {
        "held": _l("held"),
        "in_transit": _l("in transit"),
        "closed": _l("closed"),
        "consumed": _l("used up in other batches"),
    },
    # models.market.LISTING_STATUSES
    "listing": {"open": _l("open"), "withdrawn": _l("withdrawn")},
    # roles.ROLES
    "role": {
        "staff": _l("company staff"),
        "coordinator": _l("park coordinator"),
        "management": _l("park management"),
        "admin": _l("administrator"),
    },
    # models.carbon.INVENTORY_AREAS: the pilot's eight key areas
    "area": {
        "planning": _l("Planning"),
        "digital_control": _l("Digital control"),
        "energy": _l("Energy"),
        "resource_recycling": _l("Resource recycling"),
        "industry": _l("Industry"),
        "construction": _l("Construction"),
        "mobility_logistics": _l("Mobility and logistics"),
        "lifestyle": _l("Lifestyle"),
    },
    # mfa.emissions: disposal and baseline routes, production sources, the freight route
    "route": {
        "reuse": _l("re-use"),
        "open_loop": _l("open-loop recycling"),
        "closed_loop": _l("closed-loop recycling"),
        "energy_recovery": _l("energy recovery"),
        "incineration": _l("incineration"),
        "composting": _l("composting"),
        "landfill": _l("landfill"),
        "anaerobic_digestion": _l("anaerobic digestion"),
        "primary": _l("primary production"),
        "reused": _l("re-used material"),
        "open_loop_source": _l("open-loop source"),
        "closed_loop_source": _l("closed-loop source"),
        "road": _l("road freight"),
    },
    # mfa.emissions.KINDS: what a factor is of
    "factor_kind": {
        "disposal": _l("disposal"),
        "production": _l("production"),
        "freight": _l("freight"),
    },
    # models.carbon.CreditRun.kind
    "credit_run": {"book": _l("booking"), "recalculate": _l("recalculation")},
    # services.carbon.credits.assess: why a closed circular batch has no credit ("no_factor:
    # kind:route" is shown with the factor it lacks, the ledger page's template)
    "credit_reason": {
        "unmapped": _l("no reviewed material mapping: not credited"),
        "counted_at_ancestor": _l(
            "recyclate of an earlier circular closing: counted in that closing's credit"
        ),
        "nothing_recycled": _l(
            "none of its mass reached final recycling (its outputs were burnt, landfilled or lost)"
        ),
        "no_baseline": _l("no baseline route configured for this material"),
        "no_route": _l(
            "closed without a recovery or disposal route (R1-R13, D1-D15): not credited"
        ),
        "no_factor": _l("a factor the set lacks"),
    },
    # Job.status (models.job.JOB_STATUSES): where a background job is
    "job_status": {
        "queued": _l("waiting for a worker"),
        "running": _l("running"),
        "done": _l("done"),
        "failed": _l("failed"),
    },
    # Event.operation: what happened to a batch
    "operation": {
        "register": _l("Registration"),
        "ship": _l("Shipment"),
        "receive": _l("Receipt"),
        "split": _l("Split"),
        "merge": _l("Merge"),
        "close": _l("Closing"),
        "correct": _l("Correction"),
    },
    # EventBatch.role: what the event did with this batch
    "ledger_role": {
        "object": _l("this batch"),
        "input": _l("used"),
        "output": _l("made"),
    },
    # services.custody BASES
    "basis": {"weighed": _l("weighed"), "estimated": _l("estimated")},
    # services.market.listings.PERIODS
    "period": {
        "lot": _l("one lot"),
        "week": _l("week"),
        "month": _l("month"),
        "year": _l("year"),
    },
    # Proposal.decision
    "decision": {"accepted": _l("accepted"), "rejected": _l("rejected")},
    # services.catalogue.OPERATIONS: Waste Framework Directive 2008/98/EC, Annexes I and II
    "treatment": {
        "R1": _l("Use principally as a fuel or other means to generate energy"),
        "R2": _l("Solvent reclamation/regeneration"),
        "R3": _l(
            "Recycling/reclamation of organic substances not used as solvents "
            "(including composting and other biological transformation)"
        ),
        "R4": _l("Recycling/reclamation of metals and metal compounds"),
        "R5": _l("Recycling/reclamation of other inorganic materials"),
        "R6": _l("Regeneration of acids or bases"),
        "R7": _l("Recovery of components used for pollution abatement"),
        "R8": _l("Recovery of components from catalysts"),
        "R9": _l("Oil re-refining or other reuses of oil"),
        "R10": _l("Land treatment resulting in benefit to agriculture or ecological improvement"),
        "R11": _l("Use of waste obtained from any of the operations R1 to R10"),
        "R12": _l("Exchange of waste for submission to any of the operations R1 to R11"),
        "R13": _l("Storage of waste pending any of the operations R1 to R12"),
        "D1": _l("Deposit into or onto land (e.g. landfill)"),
        "D2": _l("Land treatment (e.g. biodegradation of liquid or sludgy discards in soils)"),
        "D3": _l("Deep injection"),
        "D4": _l("Surface impoundment"),
        "D5": _l("Specially engineered landfill"),
        "D6": _l("Release into a water body except seas/oceans"),
        "D7": _l("Release to seas/oceans including sea-bed insertion"),
        "D8": _l("Biological treatment resulting in final compounds discarded by D1-D12"),
        "D9": _l("Physico-chemical treatment resulting in final compounds discarded by D1-D12"),
        "D10": _l("Incineration on land"),
        "D11": _l("Incineration at sea"),
        "D12": _l("Permanent storage"),
        "D13": _l("Blending or mixing prior to submission to any of the operations D1-D12"),
        "D14": _l("Repackaging prior to submission to any of the operations D1-D13"),
        "D15": _l("Storage pending any of the operations D1-D14"),
    },
}


def display_name(key: str | None, vocabulary: str) -> str:
    """The name of ``key`` in ``vocabulary`` in the reader's language; a key the table does
    not know is shown as it is (a row written by a newer version, say), nothing for None."""
    if key is None:
        return ""
    name = NAMES[vocabulary].get(key)
    return key if name is None else str(name)
