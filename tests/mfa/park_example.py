"""A small park whose every figure can be recomputed by hand (kg; times are day numbers).

A generates slag b1 (100), sludge b2 (50) and scrap b6 (10); B generates dust b3 (30); C
generates scrap b4 (20). B uses the slag (R5). L landfills the sludge (D1). I burns the dust for
energy (R1). R recycles both scraps (R4) and sells 18 kg of recyclate b5 back to A.
Edges: A->B 100, A->L 50, A->R 10, B->I 30, C->R 20, R->A 18, and the closings to sinks.
"""

from mfa.model import CustodyRecord

R = CustodyRecord
RECORDS = [
    R("b1", "slag", 100.0, "A", None, 1, "generation"),
    R("b1", "slag", 100.0, "A", "B", 2, "shipment"),
    R("b1", "slag", 100.0, "B", None, 3, "closing", "R5"),
    R("b2", "sludge", 50.0, "A", None, 1, "generation", basis="estimated"),
    R("b2", "sludge", 50.0, "A", "L", 2, "shipment", basis="estimated"),
    R("b2", "sludge", 50.0, "L", None, 3, "closing", "D1", basis="estimated"),
    R("b3", "dust", 30.0, "B", None, 1, "generation"),
    R("b3", "dust", 30.0, "B", "I", 2, "shipment"),
    R("b3", "dust", 30.0, "I", None, 3, "closing", "R1"),
    R("b4", "scrap", 20.0, "C", None, 1, "generation"),
    R("b4", "scrap", 20.0, "C", "R", 2, "shipment"),
    R("b4", "scrap", 20.0, "R", None, 3, "closing", "R4"),
    R("b6", "scrap", 10.0, "A", None, 1, "generation"),
    R("b6", "scrap", 10.0, "A", "R", 2, "shipment"),
    R("b6", "scrap", 10.0, "R", None, 3, "closing", "R4"),
    R("b5", "recyclate", 18.0, "R", None, 4, "treatment"),
    R("b5", "recyclate", 18.0, "R", "A", 5, "shipment"),
    # Outside the period [1, 10): ignored.
    R("b9", "slag", 999.0, "A", "B", 10, "shipment"),
]
