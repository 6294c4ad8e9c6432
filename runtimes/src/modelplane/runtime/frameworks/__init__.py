"""Framework adapters: one module per model format, each a `Model` subclass that reads its files in `load()`.

Framework libraries are optional extras of the distribution, so each adapter imports its library inside `load()`;
`formats` picks the adapter for a directory.
"""
