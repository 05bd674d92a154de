// The capacity page: polls /admin/capacity.json (the host checks that the signed-in user is an
// admin) and plots each table's and index's read and write units a second over the time the page
// has been open, with throttles as red marks, and lists the hottest partition keys.
// Keys are user ids: they arrive hashed unless "show in clear" is ticked, and every text from the
// server goes into the page with textContent, never as HTML.

const POLL_MS = 2000;
const HISTORY = 300; // points kept per series: ten minutes at one poll every two seconds
const SVG = "http://www.w3.org/2000/svg";

const history = new Map(); // "table/index" -> [{t, read, write, throttles}]
const status = document.querySelector("[data-testid=capacity-status]");
const tables = document.querySelector("[data-testid=capacity-tables]");
const hot = document.querySelector("[data-testid=capacity-hot-keys]");
const showKeys = document.querySelector("[data-testid=show-keys]");

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** The app's one timestamp format ("Nov 29, 2026, 6:42 PM", `formatDateTime` in src/views/dom.js),
 * so the admin page tells time as the rest of the app does. */
function formatDateTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value ?? "");
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function record(snapshot) {
  for (const row of snapshot.tables) {
    const name = row.index ? `${row.table}/${row.index}` : row.table;
    const points = history.get(name) ?? [];
    const last = (values) => (values && values.length ? values[values.length - 1] : 0);
    points.push({ t: snapshot.time, read: last(row.per_second.read), write: last(row.per_second.write),
                  throttles: last(row.per_second.throttles) });
    if (points.length > HISTORY) points.splice(0, points.length - HISTORY);
    history.set(name, points);
  }
}

function line(points, field, top, width, height) {
  const step = width / Math.max(1, HISTORY - 1);
  const start = width - step * (points.length - 1);
  return points.map((p, i) => `${(start + i * step).toFixed(1)},${(height - (p[field] / top) * (height - 4) - 2).toFixed(1)}`).join(" ");
}

function chart(name, points) {
  const width = 600, height = 48;
  const top = Math.max(1, ...points.map((p) => Math.max(p.read, p.write)));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${name}: read and write units a second`);
  for (const field of ["read", "write"]) {
    const path = document.createElementNS(SVG, "polyline");
    path.setAttribute("class", field);
    path.setAttribute("points", line(points, field, top, width, height));
    svg.append(path);
  }
  const step = width / Math.max(1, HISTORY - 1);
  const start = width - step * (points.length - 1);
  points.forEach((p, i) => {
    if (!p.throttles) return;
    const mark = document.createElementNS(SVG, "rect");
    mark.setAttribute("class", "throttle");
    mark.setAttribute("x", (start + i * step - 1).toFixed(1));
    mark.setAttribute("y", "0");
    mark.setAttribute("width", "2");
    mark.setAttribute("height", "6");
    svg.append(mark);
  });
  return svg;
}

function renderTables(snapshot) {
  const rows = [];
  for (const row of snapshot.tables) {
    const name = row.index ? `${row.table}/${row.index}` : row.table;
    const box = element("div", { class: "admin-chart", "data-testid": "capacity-table", "data-name": name });
    box.append(element("strong", {}, name), chart(name, history.get(name) ?? []),
      element("span", {}, `${row.read_units.toFixed(1)} RCU · ${row.write_units.toFixed(1)} WCU · ${row.throttles} throttled (last ${snapshot.seconds} s)`));
    rows.push(box);
  }
  if (!rows.length) rows.push(element("p", {}, "No reads or writes yet."));
  tables.replaceChildren(...rows);
}

function renderHot(snapshot) {
  const sections = [];
  for (const group of snapshot.hot_keys) {
    if (!group.keys.length) continue;
    const name = group.index ? `${group.table}/${group.index}` : group.table;
    const table = element("table", { "data-testid": "hot-keys", "data-name": name });
    const head = element("tr");
    for (const title of ["Partition key", "Units", "Read", "Write", "Throttled"]) head.append(element("th", {}, title));
    table.append(element("caption", {}, `Hottest keys of ${name}`), head);
    for (const key of group.keys) {
      const tr = element("tr");
      tr.append(element("td", { "data-testid": "hot-key" }, key.clear ?? key.key),
        element("td", {}, key.units.toFixed(1)), element("td", {}, key.read_units.toFixed(1)),
        element("td", {}, key.write_units.toFixed(1)), element("td", {}, String(key.throttles)));
      table.append(tr);
    }
    sections.push(table);
  }
  hot.replaceChildren(...sections);
}

async function poll() {
  let response;
  try {
    response = await fetch(`/admin/capacity.json?top=10&keys=${showKeys.checked ? 1 : 0}`,
                           { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    say("The host did not answer; retrying.", true);
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    say("Sign in first.", true);
    window.location.assign("/auth/login?next=/admin/capacity");
    return "stop";
  }
  if (!response.ok) {
    say(body.message || `The host answered ${response.status}.`, true);
    const final = response.status === 403 || response.status === 501;
    if (final) showKeys.closest("label").hidden = true; // no figures will come: nothing to show in clear
    return final ? "stop" : undefined;
  }
  record(body);
  renderTables(body);
  renderHot(body);
  say(`Updated ${formatDateTime(new Date(body.time * 1000))}; keys ${body.keys_shown ? "in clear" : "hashed"}.`);
}

async function loop() {
  if ((await poll()) === "stop") return;
  setTimeout(loop, POLL_MS);
}

showKeys.addEventListener("change", () => poll());
loop();
