"""Run reports: a bounded timeline of the run, and HTML, CSV and JSON writers."""
