// What the case has been given: devices (their condition in the hub's one wording), safe
// accommodation stays (book, extend, check out), patrols (a plan made by the police),
// relocation steps (add, complete).
"use strict";
(() => {
  const { lang, t, caseId, role } = window.SAFEWATCH;
  const { $, api, item } = window.sw;
  const { element, condition, form, send, every } = window.swStaff;
  const { day, moment } = window.sw.format(lang);
  const listOr = (id, items) => $(id).replaceChildren(...(items.length ? items : [item(t.none_yet)]));
  const today = () => new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Seoul" });  // YYYY-MM-DD, region's day
  const plusDays = (iso, n) => new Date(Date.parse(iso) + n * 86400000).toISOString().slice(0, 10);
  const changed = () => document.dispatchEvent(new Event("case:changed"));
  // Saved: the lists and the measures are drawn again; refused: the hub's reason.
  const act = (path, method) => async (values) => {
    const [ok, out] = await send(path, method, values);
    if (ok) changed();
    return [ok, ok ? t.saved : out];
  };

  async function devices() {
    const r = await api(`/devices?case_id=${caseId}&size=50`);
    if (!r.ok) return;
    listOr("c-devices", (await r.json()).items.map((d) => {
      const li = item(`${t[`device.${d.kind}`]} ${d.serial} · ${condition(t, d)} · ${t.last_seen}: ${d.last_seen_at ? moment(d.last_seen_at) : t.never}` +
        (d.battery_percent != null ? ` · ${t.battery} ${d.battery_percent}%` : "") +
        (["degraded", "restarting", "starting"].includes(d.condition) && d.health_note ? ` · ${d.health_note}` : "") +
        (d.problem ? ` · ${window.sw.undelivered(t, d)}` : ""));
      li.dataset.condition = d.condition || "";
      return li;
    }));
  }

  async function stays() {
    const r = await api(`/cases/${caseId}/stays`);
    if (!r.ok) return;
    const all = await r.json();
    listOr("c-stays", all.map((s) => {
      const li = item(`${s.place_name} · ${day(s.check_in)}–${day(s.check_out || s.planned_check_out)} · ` +
        (s.check_out ? `${s.nights} ${t.nights}, ${t.checked_out}` : `${s.planned_nights} ${t.nights}, ${t.staying}`));
      if (s.check_out) return li;
      const base = `/cases/${caseId}/stays/${s.id}`;
      li.append(
        form("extend", [{ name: "planned_check_out", label: t.new_check_out, props: { type: "date", required: true, defaultValue: plusDays(s.planned_check_out, 7) } }],
          t.extend, act(`${base}/extend`, "POST")),
        form("check-out", [
          { name: "check_out", label: t.check_out, props: { type: "date", required: true, defaultValue: today() } },
          { name: "note", label: t.note, props: { maxLength: 1000 } },
        ], t.do_check_out, act(`${base}/check-out`, "POST")));
      return li;
    }));
    // A new stay only when none is under way (the hub refuses a second one).
    $("stay-new").replaceChildren(...(all.some((s) => !s.check_out) ? [] : [form("book", [
      { name: "place_name", label: t.place_name, props: { required: true, maxLength: 200 } },
      { name: "address", label: t.address, props: { required: true, minLength: 3, maxLength: 400 } },
      { name: "check_in", label: t.check_in, props: { type: "date", required: true, defaultValue: today() } },
      { name: "planned_check_out", label: t.planned_check_out, props: { type: "date", required: true, defaultValue: plusDays(today(), 14) } },
    ], t.add_stay, act(`/cases/${caseId}/stays`, "POST"))]));
  }

  async function patrols() {
    const r = await api(`/cases/${caseId}/patrol-plans`);
    if (!r.ok) return;
    const names = t.weekdays.split(",");
    listOr("c-patrols", (await r.json()).filter((p) => p.active).map((p) => {
      const windows = p.windows.map((w) => `${w.weekdays.map((d) => names[d]).join("·")} ${w.start}–${w.end}`).join(", ");
      const last = p.logs.length ? p.logs[p.logs.length - 1] : null;
      return item(`${p.place} · ${windows}` + (last ? ` · ${t.last_patrol}: ${moment(last.patrolled_at)} ${last.observation}` : ""));
    }));
  }

  async function relocation() {
    const r = await api(`/cases/${caseId}/relocation-steps`);
    if (!r.ok) return;
    listOr("c-relocation", (await r.json()).map((s) => {
      const li = item(`${s.title} · ${t[`relocation_step.${s.status}`] || s.status}` +
        (s.due_on ? ` · ${t.due_on} ${day(s.due_on)}` : "") + (s.done_at ? ` · ${moment(s.done_at)}` : ""));
      li.dataset.status = s.status;
      if (s.status !== "planned") return li;
      const done = element("button", { type: "button", textContent: t.complete });
      done.addEventListener("click", async () => {
        const [ok, out] = await send(`/cases/${caseId}/relocation-steps/${s.id}`, "PATCH", { status: "done" });
        if (ok) changed(); else li.append(element("span", { className: "error", role: "status", textContent: out }));
      });
      li.append(" ", done);
      return li;
    }));
  }

  // A patrol plan (police only): a place and one window of days and hours to begin with.
  function patrolForm() {
    const names = t.weekdays.split(",");
    const days = element("fieldset", { className: "days" }, element("legend", { textContent: t.patrol_days }),
      ...names.map((n, i) => element("label", {}, element("input", { type: "checkbox", name: "day", value: String(i), defaultChecked: i < 5 }), ` ${n}`)));
    const field = (name, label, props) => element("label", {}, `${label} `, element("input", { name, required: true, ...props }));
    const status = element("p", { role: "status" });
    const f = element("form", { className: "inline patrol" },
      field("place", t.patrol_place, { minLength: 3, maxLength: 300 }), days,
      field("start", t.patrol_from, { type: "time", defaultValue: "21:00" }), field("end", t.patrol_to, { type: "time", defaultValue: "23:00" }),
      element("button", { type: "submit", textContent: t.make_patrol_plan }), status);
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(f);
      const window_ = { weekdays: data.getAll("day").map(Number), start: data.get("start"), end: data.get("end") };
      const [ok, out] = await send(`/cases/${caseId}/patrol-plans`, "POST", { place: data.get("place"), windows: [window_] });
      status.className = ok ? "" : "error";
      status.textContent = ok ? t.saved : out;
      if (ok) { f.reset(); changed(); }
    });
    return f;
  }
  if (role === "officer" || role === "admin") $("patrol-new").replaceChildren(patrolForm());

  $("step-new").replaceChildren(form("step", [
    { name: "title", label: t.step_title, props: { required: true, maxLength: 200 } },
    { name: "due_on", label: t.due_on, props: { type: "date" } },
  ], t.add_step, async (values) => {
    if (!values.due_on) delete values.due_on;
    return act(`/cases/${caseId}/relocation-steps`, "POST")(values);
  }));

  const all = () => { devices(); stays(); patrols(); relocation(); };
  document.addEventListener("case:changed", all);
  all();
  every(15, devices);  // a watch or a camera that falls silent shows while the page is open
})();
