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

/**
 * STS's answers that say the deployment is misconfigured, not that the user's session ended: the
 * token's issuer is not a registered provider, its keys cannot be had, the provider cannot be
 * reached, or the role does not trust it. Signing in again cannot fix these (it would loop), so
 * the page says what is wrong and who can fix it. Messages: STS API Reference,
 * AssumeRoleWithWebIdentity, "Errors".
 */
const CONFIGURATION = [
  [/No OpenIDConnect provider found/i, "This app's sign-in provider is not registered in AWS IAM, so AWS will not accept its sign-ins. An administrator must register it (docs/deploy.md); signing in again will not help."],
  [/Couldn't retrieve verification key/i, "AWS could not get the sign-in provider's keys to check your sign-in. An administrator must check the provider's address and keys; signing in again will not help."],
  [/Incorrect token audience/i, "AWS does not accept sign-ins for this app's client ID. An administrator must add the client ID to the provider registered in IAM."],
];

export function configurationProblem(error) {
  const name = error?.name ?? "";
  const message = String(error?.message ?? "");
  if (name === "IDPCommunicationError" || name === "IDPCommunicationErrorException") {
    return "AWS could not reach the sign-in provider to check your sign-in. Try again in a moment; if it goes on, an administrator must check the provider's address.";
  }
  if ((name === "AccessDenied" || name === "AccessDeniedException") && /sts:AssumeRoleWithWebIdentity/.test(message)) {
    return "The app's AWS role does not trust this sign-in provider or client. An administrator must fix the role's trust policy; signing in again will not help.";
  }
  if (name === "InvalidIdentityToken" || name === "InvalidIdentityTokenException") {
    for (const [pattern, text] of CONFIGURATION) if (pattern.test(message)) return text;
  }
  return null;
}

export function isSessionError(error) {
  return SESSION.has(error?.name) && !configurationProblem(error);
}

/**
 * `{kind, text, detail}`: `kind` is one of config, access, conflict, throttled, session, network,
 * invalid, other; `text` is the sentence to show; `detail` is AWS's own message (shown smaller).
 */
export function describeError(error, { conflict } = {}) {
  const detail = String(error?.message ?? error ?? "");
  const name = error?.name ?? "";
  const configuration = configurationProblem(error);
  if (configuration) return { kind: "config", text: configuration, detail };
  if (name === "AccessDeniedException" || name === "AccessDenied") {
    return { kind: "access", text: "You don't have permission to do that.", detail };
  }
  if (isConditionFailure(error)) {
    return { kind: "conflict", text: conflict ?? "Someone changed this in the meantime.", detail };
  }
  if (isThrottling(error)) {
    // AWS's message is advice for the table's operator ("Consider increasing your provisioning
    // level..."), not for the person using the page: it is not shown.
    return { kind: "throttled", text: "The service is busy right now, even after several tries. Please try again in a moment.", detail: "" };
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
