/**
 * "Profile": display name and bio (an UpdateItem naming only those attributes), plan and role
 * shown read-only: the role's policy denies any write that names them.
 */

import { validateProfile } from "../profile.js";
import { reportError, toast } from "./shell.js";
import { h } from "./dom.js";

export function createProfileView({ root, profiles, store }) {
  const name = h("input", { type: "text", maxlength: "60", required: true, testid: "profile-name" });
  const bio = h("textarea", { rows: "4", maxlength: "500", testid: "profile-bio" });
  const plan = h("dd", { testid: "profile-plan" });
  const role = h("dd", { testid: "profile-role" });
  const message = h("p", { class: "form-status", testid: "profile-message" });
  const save = h("button", { type: "submit", class: "button primary", testid: "profile-save" }, "Save profile");
  const form = h("form", { class: "card narrow stack", testid: "profile-form" },
    h("h2", {}, "Your profile"),
    h("label", {}, "Display name", name),
    h("label", {}, "Bio", bio),
    h("dl", { class: "facts" },
      h("dt", {}, "Plan"), plan,
      h("dt", {}, "Role"), role),
    h("p", { class: "muted small" }, "Your plan and role are set by an administrator; IAM refuses any change to them from this page."),
    message,
    h("div", { class: "row end" }, save));

  function show(profile) {
    name.value = profile.DisplayName ?? "";
    bio.value = profile.Bio ?? "";
    plan.textContent = profile.Plan ?? "free";
    role.textContent = profile.Role ?? "member";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = { displayName: name.value, bio: bio.value };
    const problems = validateProfile(values);
    if (problems.length) {
      message.textContent = problems.join(" ");
      message.className = "form-status error";
      return;
    }
    save.disabled = true;
    message.className = "form-status";
    message.textContent = "Saving…";
    try {
      const updated = await profiles.saveMine(values);
      store.set({ profile: { ...store.get("profile"), ...updated } });
      message.textContent = "Saved.";
      toast("Profile saved.", "success");
    } catch (error) {
      message.textContent = "";
      reportError(error);
    } finally {
      save.disabled = false;
    }
  });

  root.append(form);
  store.watch(["profile"], (s) => { if (s.profile) show(s.profile); });
  return {
    async start() {
      try {
        // A new user's profile starts with the ID token's name (not their bare sub).
        const token = store.get("token");
        const fromToken = token?.name && token.name !== token.sub ? token.name : null;
        store.set({ profile: await profiles.startMine(fromToken) });
      } catch (error) {
        reportError(error);
      }
    },
  };
}
