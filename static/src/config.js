/**
 * `/config.json` from the host: where STS and DynamoDB are, which role to assume and the tables'
 * physical names (docs/architecture.md). The page hard-codes none of these, so the same bundle
 * runs against the local stack and against AWS.
 */

const REQUIRED = ["region", "roleArn", "stsEndpoint", "dynamodbEndpoint", "issuer", "providerKey"];
const TABLES = ["photos", "photoTags", "profiles", "games"];

export function checkConfig(config) {
  const missing = REQUIRED.filter((k) => !config?.[k]);
  missing.push(...TABLES.filter((t) => !config?.tables?.[t]).map((t) => `tables.${t}`));
  if (missing.length) throw new Error(`The host's /config.json lacks ${missing.join(", ")}.`);
  return Object.freeze({ ...config, tables: Object.freeze({ ...config.tables }) });
}

export async function loadConfig(fetchImpl = fetch) {
  const response = await fetchImpl("/config.json", { credentials: "same-origin" });
  if (!response.ok) throw new Error(`The host did not give its configuration (HTTP ${response.status}).`);
  return checkConfig(await response.json());
}
