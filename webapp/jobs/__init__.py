"""Table jobs: the seed talk's production tips as commands that survive failure.

"Use parallel scans for high speed jobs", "plan for failure: use local files to resume data
operations after a failure", "extract data to S3 to do non-realtime operations": each job here is
a parallel scan (``Segment``/``TotalSegments``, DynamoDB Developer Guide, "Parallel scan") whose
progress is written to a local checkpoint file after every page, so a run killed with ``kill -9``
or stopped with Ctrl-C resumes where it stopped, redoing at most one page per segment.

- ``export``: every item into one JSON Lines file per segment, in the format of DynamoDB's own
  export to S3 (``{"Item": {...}}`` in DynamoDB JSON), plus ``manifest.json``;
- ``importer``: an export back into a table with ``BatchWriteItem``;
- ``backfill``: rewrite every item (a schema change) with conditional writes, so a user's write
  made during the job is never overwritten with stale data.

The building blocks: ``checkpoint`` (durable job state), ``pacing`` (backoff with jitter on
throttling, a read/write-unit rate cap shared by all threads), ``segments`` (the parallel scan
runner), ``wire`` (DynamoDB JSON as written to files), ``progress`` (bars on a terminal).
"""
