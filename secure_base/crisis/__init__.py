"""Crisis handling: detection patterns, the crisis event model and its queries."""
