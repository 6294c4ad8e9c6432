"""The kopf operator: thin I/O around the pure reconcilers (watching, server-side apply, status, events)."""
