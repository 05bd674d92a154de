"""The table jobs' commands: each module exposes ``configure(parser)`` and ``run(args) -> int``.

Exit codes, the same for every job: 0 done, 1 stopped part way (a segment failed, or Ctrl-C:
``--resume`` finishes it), 2 bad input or configuration (nothing was changed).
"""
