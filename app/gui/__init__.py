"""Qt widgets: they consume the engine's event stream and never open sockets."""
