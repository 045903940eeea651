// One case: who it is about, its measures (a required one started here; a watch or a camera
// issued from stock), its incidents. case_assess.js, case_support.js, case_events.js and
// case_history.js draw the rest; a "case:changed" event tells every part to draw again.
"use strict";
(() => {
  const { lang, t, caseId, role } = window.SAFEWATCH;
  const { $, api, item } = window.sw;
  const { element, send } = window.swStaff;
  const { day, moment } = window.sw.format(lang);
  const level = (l) => t[`level.${l || "none"}`];
  const changed = () => document.dispatchEvent(new Event("case:changed"));
  const DEVICE_FOR = { smartwatch: "smartwatch", ai_cctv: "camera" };

  async function casePage() {
    const r = await api(`/cases/${caseId}`);
    if (!r.ok) return;
    const c = await r.json();
    $("c-ref").textContent = c.reference;
    $("c-level").textContent = level(c.risk_level);
    $("c-due").textContent = c.reassessment_due ? `${t.needs}: ${c.reassessment_due}` : `${t.review_due}: ${day(c.review_due_on)}`;
    const p = c.protected_person;
    $("c-person").textContent = [p.full_name, p.phone, p.address].filter(Boolean).join(" · ");  // no address for the security company
    $("c-household").replaceChildren(...p.household.map((m) => item(`${m.full_name} (${window.sw.relation(t, m.relation)})`)));
    $("c-offenders").replaceChildren(...c.offenders.map((o) =>
      item(`${o.full_name}${o.relation_to_victim ? ` (${window.sw.relation(t, o.relation_to_victim)})` : ""} — ${o.description} · ${o.orders.map((x) => `${window.sw.orderKind(t, x.kind)} ${day(x.starts_on)}–${day(x.ends_on)}`).join(", ")}`)));
    const required = await Promise.all(c.missing_measures.map(requiredMeasure));
    $("m-required").replaceChildren(...(required.length ? required : [item(t.none_yet)]));
    $("m-in-place").replaceChildren(...c.measures.filter((m) => m.status === "in_place").map((m) =>
      item(`${t[`measure.${m.kind}`] || m.kind} · ${t.status}: ${t["status.in_place"]} ${day(m.in_place_since)}`)));
    document.dispatchEvent(new CustomEvent("case:loaded", { detail: c }));
  }

  // A required measure with what starts it: "mark in place" (the hub checks its evidence and
  // the page says what is missing), and for a watch or a camera a device from stock.
  async function requiredMeasure(kind) {
    const li = item(t[`measure.${kind}`] || kind);
    li.dataset.kind = kind;
    const status = element("span", { role: "status" });
    const start = element("button", { type: "button", textContent: t.mark_in_place });
    start.addEventListener("click", async () => {
      const [ok, out] = await send(`/cases/${caseId}/measures/${kind}`, "PATCH", { status: "in_place" });
      status.className = ok ? "" : "error";
      status.textContent = ok ? t.measure_started : (/cannot be marked in place/.test(out) ? t[`needs.${kind}`] : out);
      if (ok) changed();
    });
    li.append(" ", start);
    if (DEVICE_FOR[kind] && role !== "caseworker") li.append(" ", await issueForm(kind, status));
    li.append(" ", status);
    return li;
  }

  async function issueForm(kind, status) {
    const r = await api(`/devices?kind=${DEVICE_FOR[kind]}&status=in_stock&size=100`);
    const stock = r.ok ? (await r.json()).items : [];
    const choice = element("select", { name: "device" });
    choice.append(...stock.map((d) => new Option(`${d.serial}${d.model ? ` (${d.model})` : ""}`, d.id)));
    const label = element("label", {}, `${t.device_to_issue} `, choice);
    const button = element("button", { type: "submit", textContent: t.issue_device, disabled: !stock.length });
    const f = element("form", { className: "inline issue" }, label, " ", button);
    if (!stock.length) f.append(` (${t.no_stock})`);
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const serial = choice.selectedOptions[0]?.text || "";
      let [ok, out] = await send(`/devices/${choice.value}/assign`, "POST", { case_id: caseId });
      if (ok) [ok, out] = await send(`/cases/${caseId}/measures/${kind}`, "PATCH", { status: "in_place", note: serial });
      status.className = ok ? "" : "error";
      status.textContent = ok ? `${t.device_issued}: ${serial}` : out;
      if (ok) changed();
    });
    return f;
  }

  async function incidents() {
    const r = await api(`/incidents?case_id=${caseId}&open_only=false`);
    if (!r.ok) return;
    const items = (await r.json()).items.map((i) =>
      item(`${moment(i.created_at)} · ${i.reference} · ${t[`type.${i.type}`] || i.type} · ${window.sw.describe(t, i)} · ` +
        `${t[`case_incident.${i.status}`] || i.status}`));
    $("c-incidents").replaceChildren(...(items.length ? items : [item(t.none_yet)]));
  }

  document.addEventListener("case:changed", casePage);
  casePage();
  incidents();
})();
