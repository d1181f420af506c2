"""The engine's tests need no Django settings and no database: tracker.rules imports no Django."""
