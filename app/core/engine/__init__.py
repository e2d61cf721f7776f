"""The measurement engine: a run's config, `run` (its sessions, built through
`app.core.sessions.registry`, under one `RunControl`), matching replies, and the hosts
that run it beside the GUI (`thread`: a loop on a thread; `process`: a child process)."""
