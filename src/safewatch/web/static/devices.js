// The device inventory: stock per agency and kind, and every device with its case and health.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api, rows } = window.sw;
  const { moment } = window.sw.format(lang);
  const { condition, every } = window.swStaff;
  const STATUSES = ["in_stock", "assigned", "faulty", "retired"];

  async function stock() {
    const r = await api("/devices/stock");
    if (!r.ok) return;
    const table = new Map();
    for (const row of await r.json()) {
      const key = `${row.agency_name}\u0000${row.kind}`;
      if (!table.has(key)) table.set(key, { agency: row.agency_name, kind: row.kind, counts: {} });
      table.get(key).counts[row.status] = row.count;
    }
    rows($("stock").tBodies[0], [...table.values()].map((x) =>
      [x.agency, t[`device.${x.kind}`], ...STATUSES.map((s) => String(x.counts[s] || 0))]));
  }

  async function caseReferences() {
    const r = await api("/cases?size=200");
    return new Map(r.ok ? (await r.json()).items.map((c) => [c.id, c]) : []);
  }

  async function devices(cases) {
    const kind = $("kind-filter").value;
    const all = [];
    for (let page = 1; ; page++) {  // ~200 cameras and the watches and bells: every page
      const r = await api(`/devices?size=200&page=${page}${kind ? `&kind=${kind}` : ""}`);
      if (!r.ok) return;
      const data = await r.json();
      all.push(...data.items);
      if (all.length >= data.total || !data.items.length) break;
    }
    $("device-count").textContent = String(all.length);
    rows($("devices").tBodies[0], all.map((d) => {
      const c = d.case_id ? cases.get(d.case_id) : null;
      const where = c ? Object.assign(document.createElement("a"), { href: `/cases/${c.id}`, textContent: c.reference }) : "—";
      const serial = d.kind === "camera"
        ? Object.assign(document.createElement("a"), { href: `/devices/${d.id}/zones`, textContent: d.serial, title: t.site_editor })
        : d.serial;
      return [serial, t[`device.${d.kind}`], t[`device_status.${d.status}`], where,
        d.last_seen_at ? moment(d.last_seen_at) : t.never,
        d.battery_percent != null ? `${d.battery_percent}%` : "—",
        // A silent or reported-offline camera's last word is not its state.
        [condition(t, d), d.condition === "offline" ? "" : d.health_note, d.problem && window.sw.undelivered(t, d)].filter(Boolean).join(" · ")];
    }));
    for (const [i, tr] of [...$("devices").tBodies[0].rows].entries()) tr.dataset.condition = all[i].condition || "";
  }

  stock();
  caseReferences().then((cases) => {
    devices(cases);
    $("kind-filter").addEventListener("change", () => devices(cases));
    every(10, () => devices(cases));  // a camera falling silent shows while the list is open
  });
})();
