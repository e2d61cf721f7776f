"""Network conditions on a byte stream: Toxiproxy's toxics, their spec syntax, a pure
planner of what to emit when, and the asyncio proxy that applies them (docs/network.md)."""
