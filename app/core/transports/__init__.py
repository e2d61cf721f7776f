"""Transport clients, one module each, all translating foreign errors into app.core.errors."""
