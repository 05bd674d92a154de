"""IAM policy engine and admin tooling for DynamoDB fine-grained access control.

A pure library: no Flask, no network (except the boto3 client used by ``apply``). The local
STS, the local DynamoDB endpoint and the admin commands all stand on the same evaluator, so a
decision seen in ``simulate`` is the decision the local stack enforces.
"""
