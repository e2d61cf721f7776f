"""rtprobe watching itself: event-loop lag, CPU share, GC pauses, and the rule that
says when the client (or the mock) rather than the server set the figures."""
