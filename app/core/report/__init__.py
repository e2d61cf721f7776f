"""Run reports, all written from the typed `Summary` (`model.py`) and the bounded
`Timeline` of the run: `jsonfile.py`, `html.py` (its plots in `plots.py`, drawn with the
SVG kit in `svg.py`), `csv.py` (every sample, streamed), `fmt.py` (numbers as text)."""
