"""mailflow: complaint and opinion handling for Swedish public administrations, run through mailboxes."""

__version__ = "0.1.0"
