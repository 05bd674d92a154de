"""The AWS Query protocol that the local IAM and STS both speak, in one place.

``wire`` reads parameters and writes responses from botocore's service models, ``errors`` holds
the error codes both services share, ``endpoint`` the WSGI plumbing (parameters, ``Action``,
SigV4, XML responses, no tracebacks). Sources: AWS "Query API request" docs, botocore
``parsers.QueryParser``, fgac-semantics §E.2.
"""
