"""Version numbers of what a model artifact holds, importable without torch (the web process's
health check compares them with what a trained version recorded)."""

# The artifact's layout (``artifact.save`` / ``artifact.load``).
FORMAT_VERSION = 1
