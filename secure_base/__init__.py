"""Secure Base: shared library code for the assistant, its actions and its tools.

Nothing here opens a database, reads a file or loads a model at import time: every
resource is created by an explicit call, so importing is cheap and side-effect free.
"""
