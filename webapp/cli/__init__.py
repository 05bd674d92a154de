"""Thin command modules of ``python -m webapp``: each exposes ``configure(parser)`` and
``run(args) -> int``, parses, calls the library and formats (as ``iam_policies.cli`` does)."""
