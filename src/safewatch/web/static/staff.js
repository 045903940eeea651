// Officers' and caseworkers' pages: the case list, and one case with its risk assessment.
"use strict";
(() => {
  const { lang, t, page, caseId, role } = window.SAFEWATCH;
  const { $, api, item } = window.sw;
  const { day, moment } = window.sw.format(lang);
  const level = (l) => t[`level.${l || "none"}`];
  const listOr = (id, items) => $(id).replaceChildren(...(items.length ? items : [item(t.none_yet)]));

  async function caseList() {
    const r = await api("/cases?size=200");
    if (!r.ok) return;
    const rows = (await r.json()).items.map((c) => {
      const tr = document.createElement("tr");
      const link = Object.assign(document.createElement("a"), { href: `/cases/${c.id}`, textContent: c.reference });
      const cells = [link, c.person_name, level(c.risk_level), day(c.review_due_on), c.reassessment_due || ""];
      for (const value of cells) {
        const td = document.createElement("td");
        td.append(value);
        tr.append(td);
      }
      return tr;
    });
    $("cases").tBodies[0].replaceChildren(...rows);
  }

  let questions = [];
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
    $("m-required").replaceChildren(...c.missing_measures.map((k) => {
      const li = item(t[`measure.${k}`] || k);
      li.dataset.kind = k;
      return li;
    }));
    $("m-in-place").replaceChildren(...c.measures.filter((m) => m.status === "in_place").map((m) => item(t[`measure.${m.kind}`] || m.kind)));
    if (c.risk_level) $("decided").value = c.risk_level;
    const incidents = await api(`/incidents?case_id=${caseId}&open_only=false`);
    if (incidents.ok) $("c-incidents").replaceChildren(...(await incidents.json()).items.map((i) =>
      item(`${moment(i.created_at)} · ${i.reference} · ${t[`type.${i.type}`] || i.type} · ${i.status}`)));
    const audit = await api(`/cases/${caseId}/audit?size=20`);
    if (audit.ok) $("c-audit").replaceChildren(...(await audit.json()).items.map((e) =>
      item(`${moment(e.at)} · ${e.actor_name ? `${e.actor_name} (${e.actor_role})` : e.actor_role} · ${e.action} · ${e.reason}`)));
    support();
    cameraEvents();
  }

  const element = (tag, props = {}) => Object.assign(document.createElement(tag), props);
  // What the cameras raised, as the victim and guards saw it (bystanders' faces blurred);
  // pictures open on request (each viewing is audited), the unblurred original for police
  // only, with a reason.
  async function cameraEvents() {
    const r = await api(`/cases/${caseId}/events?size=20`);
    if (!r.ok) return;
    listOr("c-events", (await r.json()).items.map((e) => {
      const li = item(`${moment(e.occurred_at)} · ${t[`type.${e.type}`] || e.type} · ${e.camera}` +
        `${e.zone ? ` · ${e.zone}` : ""}${e.faces_blurred ? ` · ${t.faces_blurred}` : ""}`);
      li.dataset.event = e.id;
      const media = element("div", { className: "media" });
      const show = (label, make) => {
        const button = element("button", { type: "button", textContent: label });
        button.addEventListener("click", () => { media.append(make()); button.remove(); });
        li.append(" ", button);
      };
      if (e.has_snapshot) show(t.show_snapshot, () => element("img", { src: `/api/v1/events/${e.id}/snapshot`, alt: t.show_snapshot }));
      if (e.has_clip) show(t.show_clip, () => element("video", { src: `/api/v1/events/${e.id}/clip`, controls: true, muted: true }));
      if (role === "officer" && e.faces_blurred) li.append(originalForm(e.id, media));
      li.append(media);
      return li;
    }));
  }

  function originalForm(eventId, media) {
    const form = element("form", { className: "original" });
    const reason = element("input", { name: "reason", required: true, minLength: 3, maxLength: 200 });
    const label = element("label", { textContent: `${t.original_reason} ` });
    label.append(reason);
    const status = element("p", { role: "status" });
    form.append(label, element("button", { type: "submit", textContent: t.open_original }), status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const r = await api(`/events/${eventId}/originals`, { method: "POST", body: JSON.stringify({ reason: reason.value }) });
      const out = await r.json().catch(() => ({}));
      status.className = r.ok ? "" : "error";
      status.textContent = r.ok ? t.original_opened : (out.detail || r.status);
      if (!r.ok) return;
      if (out.snapshot_url) media.append(element("img", { src: out.snapshot_url, alt: t.open_original, className: "original" }));
      if (out.clip_url) media.append(element("video", { src: out.clip_url, controls: true, muted: true, className: "original" }));
    });
    return form;
  }

  // Devices issued, stays, patrols and relocation steps: what the case has been given.
  async function support() {
    const [devices, stays, patrols, steps] = await Promise.all([
      api(`/devices?case_id=${caseId}&size=50`), api(`/cases/${caseId}/stays`),
      api(`/cases/${caseId}/patrol-plans`), api(`/cases/${caseId}/relocation-steps`),
    ]);
    if (devices.ok) listOr("c-devices", (await devices.json()).items.map((d) =>
      item(`${t[`device.${d.kind}`]} ${d.serial} · ${t[`state.${d.condition}`] || d.condition || ""} · ${t.last_seen}: ${d.last_seen_at ? moment(d.last_seen_at) : t.never}` +
        (d.battery_percent != null ? ` · ${t.battery} ${d.battery_percent}%` : "") +
        (["degraded", "restarting", "starting"].includes(d.condition) && d.health_note ? ` · ${d.health_note}` : "") +
        (d.problem ? ` · ${d.problem}` : ""))));
    if (stays.ok) listOr("c-stays", (await stays.json()).map((s) =>
      item(`${s.place_name} · ${day(s.check_in)}–${day(s.check_out || s.planned_check_out)} · ` +
        (s.check_out ? `${s.nights} ${t.nights}, ${t.checked_out}` : `${s.planned_nights} ${t.nights}, ${t.staying}`))));
    const names = t.weekdays.split(",");
    if (patrols.ok) listOr("c-patrols", (await patrols.json()).filter((p) => p.active).map((p) => {
      const windows = p.windows.map((w) => `${w.weekdays.map((d) => names[d]).join("·")} ${w.start}–${w.end}`).join(", ");
      const last = p.logs.length ? p.logs[p.logs.length - 1] : null;
      return item(`${p.place} · ${windows}` + (last ? ` · ${t.last_patrol}: ${moment(last.patrolled_at)} ${last.observation}` : ""));
    }));
    if (steps.ok) listOr("c-relocation", (await steps.json()).map((r) =>
      item(`${r.title} · ${r.status}${r.due_on ? ` · ${day(r.due_on)}` : ""}`)));
  }

  async function buildForm() {
    const r = await api("/risk/checklist");
    if (!r.ok) return;
    questions = await r.json();
    $("questions").replaceChildren(...questions.map((q) => {
      const label = document.createElement("label");
      const box = Object.assign(document.createElement("input"), { type: "checkbox", name: q.key });
      box.addEventListener("change", suggest);
      label.append(box, ` ${lang === "ko" ? q.text_ko : q.text_en}`);
      return label;
    }));
    suggest();
  }
  const answers = () => Object.fromEntries(questions.map((q) => [q.key, document.querySelector(`input[name=${q.key}]`).checked]));
  async function suggest() {
    const r = await api("/risk/suggestion", { method: "POST", body: JSON.stringify({ answers: answers() }) });
    if (!r.ok) return;
    const s = await r.json();
    $("suggested").textContent = `${level(s.level)} (${t.score} ${s.score})`;
    $("suggested").dataset.level = s.level;
    $("decided").value = s.level;
  }
  async function save(event) {
    event.preventDefault();
    const body = { answers: answers(), decided_level: $("decided").value };
    if ($("override").value.trim()) body.override_reason = $("override").value.trim();
    const r = await api(`/cases/${caseId}/assessments`, { method: "POST", body: JSON.stringify(body) });
    const result = await r.json();
    $("assess-result").textContent = r.ok ? t.saved : result.detail;
    $("assess-result").className = r.ok ? "" : "error";
    if (r.ok) casePage();
  }

  if (page === "cases") caseList();
  if (page === "case") {
    casePage();
    if (!document.getElementById("assess").closest("[hidden]")) { buildForm(); $("assess").addEventListener("submit", save); }
  }
})();
