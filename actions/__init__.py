"""Secure Base custom actions, one module per concern.

The rasa-sdk action server imports every module of this package and registers every
non-abstract ``Action`` subclass it finds.
"""
