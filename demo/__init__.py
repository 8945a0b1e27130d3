"""The demo county: a fictional year of procurement built through the real ledger
(``builder``, ``year``, ``catalogue``, ``twists``) and a local procurement website that
receives its notices (``site``). ``sunshine demo`` wires them."""
