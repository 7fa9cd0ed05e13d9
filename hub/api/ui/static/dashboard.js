// Fusion Hub dashboard: the live feed over /stream (server-sent events), charts drawn as
// inline SVG from /api/dashboard/counts, the analysts' lookup, and the operators' tables.
// No libraries: the hub runs offline, so everything it shows ships in the package.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let operator = false;

async function getJSON(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw new Error(path + ": " + response.status);
  return response.json();
}

function el(tag, attrs, text) {
  const node = document.createElementNS(tag === "svg" || attrs.svg ? SVG : "http://www.w3.org/1999/xhtml", tag);
  for (const [key, value] of Object.entries(attrs)) if (key !== "svg") node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Horizontal bars, one per key, longest first; data-key/data-count let tests read the chart.
function drawBars(svg, counts) {
  svg.replaceChildren();
  const entries = Object.entries(counts).slice(0, 10);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const rowHeight = 19, labelWidth = 170, barWidth = 220;
  svg.setAttribute("viewBox", `0 0 ${labelWidth + barWidth + 30} ${Math.max(1, entries.length) * rowHeight}`);
  entries.forEach(([key, count], i) => {
    const group = el("g", { svg: true, class: "bar", "data-key": key, "data-count": String(count) });
    group.appendChild(el("text", { svg: true, x: "0", y: String(i * rowHeight + 13) }, key));
    group.appendChild(el("rect", {
      svg: true, x: String(labelWidth), y: String(i * rowHeight + 3),
      width: String(Math.max(2, (count / max) * barWidth)), height: String(rowHeight - 6),
    }));
    group.appendChild(el("text", {
      svg: true, x: String(labelWidth + (count / max) * barWidth + 4), y: String(i * rowHeight + 13),
    }, String(count)));
    svg.appendChild(group);
  });
}

async function refreshCounts() {
  const counts = await getJSON("/api/dashboard/counts");
  document.getElementById("total").textContent = String(counts.total);
  drawBars(document.getElementById("chart-crime-code"), counts.by_crime_code);
  drawBars(document.getElementById("chart-sector"), counts.by_sector);
  drawBars(document.getElementById("chart-day"), counts.by_day);
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null ? "" : String(cell);
    tr.appendChild(td);
  }
  return tr;
}

function actionButton(label, cls, id, done, path) {
  if (done) return document.createTextNode(label === "replay" ? "replayed" : "released");
  if (!operator) return document.createTextNode("");
  const button = document.createElement("button");
  button.textContent = label;
  button.className = cls;
  button.dataset.id = id;
  button.addEventListener("click", async () => {
    button.disabled = true;
    const response = await fetch(path, { method: "POST", credentials: "same-origin" });
    button.replaceWith(document.createTextNode(response.ok ? (label === "replay" ? "replayed" : "released") : "failed: " + response.status));
  });
  return button;
}

async function refreshTables() {
  const [feeds, rejected, suppressed] = await Promise.all([
    getJSON("/api/dashboard/feeds"), getJSON("/api/dashboard/rejected"), getJSON("/api/dashboard/suppressed"),
  ]);
  document.querySelector("#feeds tbody").replaceChildren(...feeds.map((f) => row([
    f.partner, f.last_received, f.records, f.rejected, (f.reject_rate * 100).toFixed(1) + " %", f.suppressed, f.connector_errors,
  ])));
  document.querySelector("#rejected tbody").replaceChildren(...rejected.map((r) => {
    const tr = row([r.received, r.partner, r.reason, r.detail,
      actionButton("replay", "replay", r.id, r.replayed, `/api/rejected/${r.id}/replay`)]);
    tr.dataset.id = r.id;
    return tr;
  }));
  document.querySelector("#suppressed tbody").replaceChildren(...suppressed.map((s) => row([
    s.partner, s.observable, s.warninglist,
    actionButton("release", "release", s.id, s.released, `/api/suppressed/${s.id}/release`),
  ])));
}

// The lookup: values from a case (defanged is fine), one a line, answered within the
// analyst's clearance. data-query and the row's class let tests read each answer.
function lookupRow(answer) {
  const curated = answer.curated;
  let state = "not reported to the hub";
  if (answer.error) state = "cannot read it: " + answer.error;
  else if (curated) state = `${curated.revoked ? "revoked" : "valid"}, version ${curated.versions} of ${curated.modified}`;
  const heldBack = answer.suppressed.map((s) =>
    `${s.partner}'s report held back by '${s.warninglist}'` + (s.released ? ", since released" : ""));
  if (answer.known_benign) heldBack.push(`on the known-benign list '${answer.known_benign.warninglist}'`);
  const tr = row([
    answer.query,
    answer.observable_type ? `${answer.observable_type} ${answer.observable_value}` : "",
    state,
    curated ? curated.confidence : "",
    curated ? curated.crime_code : "",
    curated ? curated.marking : "",
    curated ? curated.contributors.map((c) => `${c.partner} (${c.confidence})`).join(", ") : "",
    heldBack.join("; "),
  ]);
  tr.dataset.query = answer.query;
  tr.className = answer.error ? "unreadable" : curated ? "curated" : "unknown";
  return tr;
}

async function lookUp(event) {
  event.preventDefault();
  const status = document.getElementById("lookup-status");
  const values = document.getElementById("lookup-values").value.split("\n")
    .map((v) => v.trim()).filter((v) => v && !v.startsWith("#"));
  if (!values.length) { status.textContent = "enter values, one a line"; return; }
  const query = new URLSearchParams();
  for (const value of values) query.append("q", value);
  status.textContent = `looking up ${values.length} value(s)...`;
  const response = await fetch("/api/dashboard/lookup?" + query, { credentials: "same-origin" });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    status.textContent = `lookup failed (${response.status}): ${body.detail || ""}`;
    return;
  }
  const answers = await response.json();
  document.querySelector("#lookup-results tbody").replaceChildren(...answers.map(lookupRow));
  const curated = answers.filter((a) => a.curated).length;
  status.textContent = `${answers.length} value(s), ${curated} curated`;
}

function follow() {
  const live = document.getElementById("live");
  const feed = document.getElementById("feed");
  const source = new EventSource("/stream");
  source.onopen = () => { live.textContent = "live feed: on"; live.className = "on"; };
  source.onerror = () => { live.textContent = "live feed: reconnecting"; live.className = "off"; };
  source.addEventListener("indicator", (event) => {
    const stix = JSON.parse(event.data);
    const item = document.createElement("li");
    item.className = "indicator" + (stix.revoked ? " revoked" : "");
    item.dataset.id = stix.id;
    item.textContent = `${stix.modified}  ${stix.x_fusion_crime_code || ""}  ${stix.pattern}  confidence=${stix.confidence}`;
    feed.prepend(item);
    while (feed.children.length > 500) feed.lastChild.remove();
    scheduleCounts();
  });
}

let countsPending = null;
function scheduleCounts() {
  if (countsPending === null) countsPending = setTimeout(() => { countsPending = null; refreshCounts().catch(console.error); }, 300);
}

async function start() {
  const me = await getJSON("/api/dashboard/me");
  operator = me.operator;
  document.getElementById("who").textContent = me.principal;
  if (operator) {
    // Operators read no intelligence: no live feed or lookup for them, only the pipeline's state.
    document.getElementById("feed-section").hidden = true;
    document.getElementById("lookup-section").hidden = true;
    document.getElementById("live").textContent = "";
  } else {
    follow();
    document.getElementById("lookup").addEventListener("submit", (event) => lookUp(event).catch((error) => {
      document.getElementById("lookup-status").textContent = String(error);
    }));
  }
  const tick = () => Promise.all([refreshCounts(), refreshTables()]).catch(console.error);
  await tick();
  setInterval(tick, 2000);
}

start().catch((error) => { document.getElementById("who").textContent = String(error); });
