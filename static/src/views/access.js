/**
 * "Access" (teaching): who the page is to AWS (provider, subject, role session, credential
 * expiry), the user role's rules as they apply to you (rendered from /config.json and your sub;
 * nothing secret is fetched), and buttons that attempt requests the policy forbids, showing the
 * AccessDeniedException that comes back. IAM refuses before DynamoDB runs anything, so these
 * buttons never change data.
 */

import { describeError } from "../errors.js";
import { clear, formatDateTime, h } from "./dom.js";

/**
 * IAM's refusal in plain words. AccessDeniedException messages name the deny type (IAM UG,
 * "Troubleshoot access denied error messages"): no statement allowed the request (implicit), or
 * a Deny statement matched (explicit).
 */
export function plainReason(message) {
  if (/explicit deny/i.test(message)) {
    return "Your role forbids this outright: a Deny rule matches it (for instance writing your Plan or Role).";
  }
  if (/no identity-based policy allows/i.test(message)) {
    return "No rule of your role allows this request: it touches items that are not yours, attributes you may not see, or reads a whole table.";
  }
  if (/session policy/i.test(message)) return "The limits of this sign-in session do not allow it.";
  return "IAM refused it before DynamoDB did anything.";
}

export function createAccessView({ root, config, photos, profiles, store }) {
  const facts = h("dl", { class: "facts wide", testid: "identity" });
  const rules = h("ul", { class: "rules", testid: "policy-rules" });
  const people = h("datalist", { id: "access-people" });
  const otherSub = h("input", { type: "text", list: "access-people", placeholder: "someone you know (or their player ID)", testid: "access-other-sub" });
  const refusals = h("ul", { class: "refusals", testid: "refusal-list" });

  function showIdentity(s) {
    const id = s.identity;
    const rows = [
      ["Identity provider", id?.provider ?? config.providerKey, "identity-provider"],
      ["Subject (sub)", s.token?.sub, "identity-sub"],
      ["Role", config.roleArn, "identity-role"],
      ["Role session", id?.roleSession ?? "—", "identity-session"],
      ["Access key", id?.accessKeyId ?? "—", "identity-key"],
      ["Credentials expire", id ? formatDateTime(id.expiration) : "—", "identity-expiry"],
      ["Credentials obtained", timesThisVisit(s.assumeCount ?? 0), "identity-assume-count"],
    ];
    clear(facts).append(...rows.flatMap(([label, value, testid]) => [
      h("dt", {}, label), h("dd", { testid, dataset: testid === "identity-expiry" && id ? { iso: id.expiration.toISOString() } : {} }, value ?? ""),
    ]));
  }

  function showRules(sub) {
    const t = config.tables;
    const you = `${config.providerKey}:sub = ${sub}`;
    const items = [
      ["Your photos", `${t.photos} and ${t.photoTags}: get, query, put, update and delete items whose partition key UserId is your sub (${you}). A Scan is never allowed: it has no partition key to check.`],
      ["Public photos", `${t.photoTags} index PublicByTag: query by anyone signed in, but only for the public attributes (title, thumbnail, date, owner's name) and only with Select = SPECIFIC_ATTRIBUTES.`],
      ["Profiles", `${t.profiles}: read your own profile; change only DisplayName (with its directory keys NameBucket and NameKey), Bio and UpdatedAt; Plan and Role are explicitly denied. Other people's profiles: UserId and DisplayName only, also found by the start of their name through the index ByName (the player directory).`],
      ["Games", `${t.games}: create games whose GameId starts with your sub; read and update games whose GameId contains your sub as host or opponent; list them through ByHost and ByOpponent.`],
      ["Everything else", "Denied by default: no statement allows it."],
    ];
    clear(rules).append(...items.map(([name, text]) => h("li", {}, h("strong", {}, name), h("span", {}, text))));
  }

  function attempt(name, label, explanation, run) {
    const result = h("div", { class: "result", testid: `access-result-${name}`, hidden: true });
    const button = h("button", { type: "button", class: "button", testid: `access-try-${name}` }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      result.hidden = false;
      result.className = "result";
      result.textContent = "Trying…";
      try {
        await run();
        result.dataset.outcome = "allowed";
        result.className = "result warn";
        result.textContent = "AWS allowed this request. The policy is not doing its job!";
      } catch (error) {
        const described = describeError(error);
        result.dataset.outcome = described.kind === "access" ? "denied" : "error";
        result.className = `result ${described.kind === "access" ? "denied" : "error"}`;
        result.replaceChildren(
          h("strong", {}, described.kind === "access" ? `Denied (${error.name})` : described.text),
          h("code", { testid: `access-message-${name}` }, error.message ?? String(error)));
      } finally {
        button.disabled = false;
      }
    });
    return h("div", { class: "attempt" }, h("div", {}, button, h("p", { class: "muted small" }, explanation)), result);
  }

  function showRefusals(list) {
    clear(refusals).append(...(list?.length ? list.map((r) => h("li", { testid: "refusal-row" },
      h("strong", {}, `${r.operation} on ${r.table}${r.index ? ` (index ${r.index})` : ""}`),
      ` · ${formatDateTime(r.at)}`,
      h("p", { testid: "refusal-reason" }, plainReason(r.message)),
      h("code", { class: "small" }, r.message)))
      : [h("li", { class: "muted", testid: "refusal-none" }, "Nothing was refused in this session.")]));
  }

  root.append(
    h("div", { class: "card" }, h("h2", {}, "Who you are to AWS"), facts),
    h("div", { class: "card" }, h("h2", {}, "Refused in this session"),
      h("p", { class: "muted small" }, "Every request of this page that IAM refused since you opened it, and why."), refusals),
    h("div", { class: "card" }, h("h2", {}, "What your role allows"), rules),
    h("div", { class: "card" }, h("h2", {}, "Try a forbidden request"),
      h("label", { class: "inline" }, "Other user", otherSub, people),
      attempt("read-other", "Read their private photos",
        "A Query on someone else's partition key: dynamodb:LeadingKeys does not match your sub.",
        () => photos.tryReadOthers(otherSub.value.trim() || "someone-else")),
      attempt("write-plan", "Upgrade your own Plan",
        "An UpdateItem on your own profile naming Plan: the explicit Deny on dynamodb:Attributes wins.",
        () => profiles.tryWritePlan()),
      attempt("scan", "Scan the Photos table",
        "A Scan reads every partition; the policy only allows requests keyed by your sub.",
        () => photos.tryScan())),
  );

  store.watch(["identity", "assumeCount", "token"], showIdentity);
  store.watch(["refusals"], (s) => showRefusals(s.refusals));
  store.watch(["token"], (s) => { if (s.token) showRules(s.token.sub); });
  return {
    show() {
      const known = profiles.people();
      clear(people).append(...Object.entries(known).map(([sub, name]) => h("option", { value: sub }, name || sub)));
      if (!otherSub.value && Object.keys(known).length) otherSub.value = Object.keys(known)[0];
    },
  };
}

function timesThisVisit(count) {
  return `${count} ${count === 1 ? "time" : "times"} this visit`;
}
