"""Messages between camera workers and hubs (and, in cluster mode, between hubs)."""
