"""The two-tier app's thin host, and a local AWS to run it on offline.

The folders follow a request: ``host`` (page, sign-in, ID token) -> ``idp`` (dev OpenID Connect
provider) -> ``sts`` (AssumeRoleWithWebIdentity) -> ``sigv4`` -> ``dynamodb`` (IAM enforced)
-> ``backend`` (moto, serialized and journaled, or an upstream DynamoDB). ``stack`` composes them.
"""
