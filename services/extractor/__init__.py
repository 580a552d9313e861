"""The claim extractor: every numeric result cell of a paper's tables, grounded in its LaTeX source."""
