/**
 * The only module that imports the AWS SDK for JavaScript v3.
 *
 * Credentials: a custom credential provider (SDK v3 "Credential providers": any async function
 * returning `{accessKeyId, secretAccessKey, sessionToken, expiration}`) that asks the host for the
 * current ID token (`/auth/token`) and trades it with STS `AssumeRoleWithWebIdentity` (an
 * unsigned call: the token is the proof, STS API Reference). The SDK memoizes the credentials and
 * calls the provider again when fewer than five minutes remain before `expiration`
 * (@smithy/core `EXPIRATION_MS`), so requests never run with stale keys and the user notices
 * nothing. The browser tests make the page refresh sooner with
 * `config.credentialRefreshMarginSeconds`, which the host never sends (they add it to the
 * `/config.json` their page receives, and move the page's clock with Playwright's): the
 * expiration handed to the SDK is moved earlier by the difference, so the SDK refreshes that much
 * sooner. Without it the margin is the SDK's own. The real expiry is what the page shows.
 *
 * Counting: one middleware at the `initialize` step counts requests (once per `send`), one just
 * outside the deserializer counts attempts and throttling errors (once per HTTP attempt, so the
 * retries of the SDK's standard retry strategy are visible).
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand,
  ScanCommand, TransactWriteCommand, UpdateCommand, paginateQuery,
} from "@aws-sdk/lib-dynamodb";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { isThrottling } from "./errors.js";
import { roleSessionName } from "./keys.js";

const SDK_REFRESH_WINDOW_SECONDS = 300;

function refreshMarginSeconds(config) {
  const raw = Number(config.credentialRefreshMarginSeconds);
  return Number.isFinite(raw) && raw > SDK_REFRESH_WINDOW_SECONDS ? raw : SDK_REFRESH_WINDOW_SECONDS;
}

/**
 * `{db, credentials}`: `db` has one method per DynamoDB operation the page uses, taking and
 * returning plain JavaScript values (lib-dynamodb marshalling; binary attributes are Uint8Array).
 */
export function createAws({ config, getToken, store }) {
  const sts = new STSClient({ region: config.region, endpoint: config.stsEndpoint, maxAttempts: 3 });

  async function credentials() {
    const token = await getToken();
    const started = performance.now();
    const out = await sts.send(new AssumeRoleWithWebIdentityCommand({
      RoleArn: config.roleArn,
      RoleSessionName: roleSessionName(token.name || token.sub),
      WebIdentityToken: token.idToken,
      DurationSeconds: config.sessionDurationSeconds || undefined,
    }));
    const c = out.Credentials;
    const expiration = new Date(c.Expiration);
    const margin = refreshMarginSeconds(config);
    store.set({
      identity: {
        sub: token.sub,
        name: token.name,
        issuer: token.issuer ?? config.issuer,
        provider: out.Provider ?? config.providerKey,
        subjectFromToken: out.SubjectFromWebIdentityToken,
        roleSession: out.AssumedRoleUser?.Arn,
        accessKeyId: c.AccessKeyId,
        expiration,
        obtainedAt: new Date(),
        refreshMarginSeconds: margin,
        stsMillis: Math.round(performance.now() - started),
      },
    });
    store.bump("assumeCount");
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(expiration.getTime() - (margin - SDK_REFRESH_WINDOW_SECONDS) * 1000),
    };
  }

  const client = new DynamoDBClient({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    credentials,
    // Adaptive retry (SDK "Retry behavior"): standard retries with backoff plus a client-side
    // rate limiter that slows this page's requests while DynamoDB throttles it, so a burst of
    // writes to a table at its provisioned capacity gets through instead of failing.
    retryMode: "adaptive",
    maxAttempts: 6,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      store.bump("requests");
      const startedAt = performance.now();
      const out = await next(args);
      store.set({ lastSuccessStartedAt: startedAt });
      return out;
    },
    { step: "initialize", name: "pageRequestCounter" },
  );
  client.middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      store.bump("attempts");
      try {
        return await next(args);
      } catch (error) {
        if (isThrottling(error)) store.bump("throttled");
        if (error?.name === "AccessDeniedException") recordRefusal(context, args, error);
        throw error;
      }
    },
    { relation: "before", toMiddleware: "deserializerMiddleware", name: "pageAttemptCounter" },
  );

  /** Every request IAM refused in this page's session, newest first (the Access panel lists them). */
  function recordRefusal(context, args, error) {
    const refusal = {
      at: new Date(),
      operation: String(context?.commandName ?? "").replace(/Command$/, ""),
      table: args?.input?.TableName ?? Object.keys(args?.input?.RequestItems ?? {})[0] ?? "",
      index: args?.input?.IndexName ?? "",
      message: String(error?.message ?? ""),
    };
    store.set({ refusals: [refusal, ...(store.get("refusals") ?? [])].slice(0, 50) });
  }

  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });

  const db = {
    get: (params) => doc.send(new GetCommand(params)),
    put: (params) => doc.send(new PutCommand(params)),
    update: (params) => doc.send(new UpdateCommand(params)),
    delete: (params) => doc.send(new DeleteCommand(params)),
    query: (params) => doc.send(new QueryCommand(params)),
    /** Every item of a Query, page after page (lib-dynamodb's paginator), at most `maxItems`. */
    async queryAll(params, { maxItems = Infinity } = {}) {
      const items = [];
      for await (const page of paginateQuery({ client: doc }, params)) {
        items.push(...(page.Items ?? []));
        if (items.length >= maxItems) break;
      }
      return items;
    },
    scan: (params) => doc.send(new ScanCommand(params)),
    batchGet: (params) => doc.send(new BatchGetCommand(params)),
    transactWrite: (params) => doc.send(new TransactWriteCommand(params)),
  };
  return { db, credentials, client };
}
