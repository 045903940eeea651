"""Use cases: each composes the pure rules with the store inside the caller's one transaction."""
