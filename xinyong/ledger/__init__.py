"""The tamper-evident ledger (账本): hash chain, signed Merkle checkpoints, proofs, verification.

Callers use the facade: ``from xinyong.ledger import service as ledger``; ``ledger.append(...)``.
The ledger imports only ``xinyong.core``."""
