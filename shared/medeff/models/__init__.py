"""Model definitions used by the lectures and assignments (one module per family)."""
