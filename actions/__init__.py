"""Secure Base custom actions, one module (or package, like ``intake``) per concern.

The rasa-sdk action server imports every module of this package, sub-packages
included, and registers every non-abstract ``Action`` subclass it finds.
"""
