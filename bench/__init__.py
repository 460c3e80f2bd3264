"""`make bench`: measured figures, each with a ratio against the alternative, in one run."""
