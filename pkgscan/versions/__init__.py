"""Version ordering, one module per ordering: each has ``sort_key(version) -> tuple`` (a total order
over every string, never raising) and ``is_valid(version) -> bool``; ``equal`` and ``canonical`` where
the ecosystem's equality is more than string equality.  :mod:`pkgscan.ecosystems` says which
ecosystem uses which."""
