/**
 * AWS errors in words a person understands. Error names are the wire codes of the DynamoDB and
 * STS APIs (DynamoDB API Reference, "Common Errors"; STS API Reference, "Errors"), which the SDK
 * puts in `error.name`.
 */

const THROTTLING = new Set([
  "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
  "TooManyRequestsException", "LimitExceededException",
]);

const SESSION = new Set([
  "LoginRequired", "ExpiredTokenException", "ExpiredToken", "UnrecognizedClientException",
  "InvalidIdentityTokenException", "InvalidIdentityToken", "IDPRejectedClaimException",
  "InvalidClientTokenId",
]);

export function isThrottling(error) {
  return THROTTLING.has(error?.name);
}

/** True when a TransactWriteItems failed because one of its conditions did not hold. */
export function isConditionFailure(error) {
  if (error?.name === "ConditionalCheckFailedException") return true;
  if (error?.name !== "TransactionCanceledException") return false;
  const reasons = error.CancellationReasons ?? [];
  if (reasons.length) return reasons.some((r) => r?.Code === "ConditionalCheckFailed");
  return /ConditionalCheckFailed/.test(error.message ?? "");
}

export function isSessionError(error) {
  return SESSION.has(error?.name);
}

/**
 * `{kind, text, detail}`: `kind` is one of access, conflict, throttled, session, network,
 * invalid, other; `text` is the sentence to show; `detail` is AWS's own message (shown smaller).
 */
export function describeError(error, { conflict } = {}) {
  const detail = String(error?.message ?? error ?? "");
  const name = error?.name ?? "";
  if (name === "AccessDeniedException" || name === "AccessDenied") {
    return { kind: "access", text: "You don't have permission to do that.", detail };
  }
  if (isConditionFailure(error)) {
    return { kind: "conflict", text: conflict ?? "Someone changed this in the meantime.", detail };
  }
  if (isThrottling(error)) {
    return { kind: "throttled", text: "The service is busy right now. Please try again in a moment.", detail };
  }
  if (isSessionError(error)) {
    return { kind: "session", text: "Your session has expired. Please sign in again.", detail };
  }
  if (name === "TypeError" && /fetch|network/i.test(detail)) {
    return { kind: "network", text: "Can't reach the server. Check your connection and try again.", detail };
  }
  if (name === "ValidationException") {
    return { kind: "invalid", text: "The request was not valid.", detail };
  }
  return { kind: "other", text: "Something went wrong.", detail: name ? `${name}: ${detail}` : detail };
}
