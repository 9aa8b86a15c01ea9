"""Studies: the model against the literature, each written up as a generated page.

Two pages, each generated from model runs and never edited by hand:

- docs/findings.md (`python -m campaignsim.studies.findings`): one module per stylised
  fact of shared/research/paper_memo.md (d), `fact_*.py`, each stating its criterion and
  computing its verdict from paired runs;
- docs/validation.md (`python -m campaignsim.studies.validation`): one module per
  comparison with diffusion theory, `check_*.py` (Bass, Granovetter, exact limits).

Shared pieces live in one place: `arms.py` (the scenarios the facts run), `runs.py`
(running them and slicing the results), `tables.py` (tables and number formats), and the
page templates as files under `templates/` (read with importlib.resources, so they are
installed with the package).
"""
