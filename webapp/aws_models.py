"""botocore's service models (``dynamodb``, ``iam``, ``sts``), loaded once per process.

Every part of the local stack that reads AWS's own description of a service (the DynamoDB
operations and their shapes, the error shapes' message members, the Query protocol's parameters
and answers) asks here, so a model is parsed once and everyone reads the same one, the way
botocore passes one ``ServiceModel`` around.
"""

from __future__ import annotations

from functools import cache

import botocore.session  # type: ignore[import-untyped]
from botocore.model import ServiceModel  # type: ignore[import-untyped]


@cache
def _session() -> botocore.session.Session:
    """One session for every model: its loader lists botocore's data directories once (a new
    session per model listed them again for each, a tenth of a second of every start)."""
    return botocore.session.get_session()


@cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of the service ``name``."""
    model: ServiceModel = _session().get_service_model(name)
    return model
