"""Pure reconcilers: observed objects and configuration in, desired children and status out (no cluster I/O)."""
