"""`make demo`: the whole job offline on the `local` platform (see README, "make demo")."""
