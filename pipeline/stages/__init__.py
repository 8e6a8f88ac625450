"""One module per pipeline stage. Stages never read files; they work on a ``Document``."""
