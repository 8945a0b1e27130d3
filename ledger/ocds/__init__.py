"""OCDS 1.1 from the log: one mapping for every OCDS output (see ``release``)."""
