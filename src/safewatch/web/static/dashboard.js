// The dashboard: response times as grouped bar charts (plain SVG), camera health.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api } = window.sw;
  const SVG = "http://www.w3.org/2000/svg";
  // [field, css class, spoken name, unit]
  const SERIES = [["to_acknowledged_s", "ack", t.to_ack, "s"], ["to_dispatched_s", "dispatch", t.to_dispatch, "s"], ["to_on_scene_s", "scene", t.to_scene, "s"]];
  const node = (name, attrs, text) => {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  };

  // One group of bars per row (a week or a site); each bar labelled with its value.
  function groupedBars(figure, rows, series) {
    if (!rows.length) { figure.textContent = t.no_data; return; }
    const max = Math.max(1, ...rows.flatMap((r) => series.map(([key]) => r[key] || 0)));
    const barW = series.length === 1 ? 60 : 18, gap = 14, height = 180, top = 16, bottom = 40;
    const groupW = series.length * barW + gap;
    // A screen reader reads the chart as its numbers: "group: value s, …" per series.
    const said = rows.map((row) => `${row.group}: ` + series.map(([key, , name, unit]) => `${name} ${row[key] == null ? "—" : Math.round(row[key])} ${unit}`.trim()).join(", ")).join("; ");
    const svg = node("svg", { width: rows.length * groupW + 40, height: height + top + bottom, role: "img", "aria-label": said });
    rows.forEach((row, i) => {
      const x0 = 30 + i * groupW;
      series.forEach(([key, css], j) => {
        const value = row[key];
        if (value == null) return;
        const h = Math.max(1, (value / max) * height);
        const bar = node("rect", { x: x0 + j * barW, y: top + height - h, width: barW - 3, height: h, class: `bar ${css}` });
        bar.append(node("title", {}, `${row.group}: ${value} ${series[j][3]}`.trim()));
        svg.append(bar, node("text", { x: x0 + j * barW + (barW - 3) / 2, y: top + height - h - 3, "text-anchor": "middle", class: "val" }, String(Math.round(value))));
      });
      svg.append(node("text", { x: x0 + (series.length * barW) / 2, y: top + height + 16, "text-anchor": "middle", class: "lbl" }, row.group));
      svg.append(node("text", { x: x0 + (series.length * barW) / 2, y: top + height + 32, "text-anchor": "middle", class: "lbl" }, `n=${row.incidents}`));
    });
    figure.replaceChildren(svg);
  }

  async function load() {
    const r = await api("/stats/response-times?weeks=12");
    if (r.ok) {
      const data = await r.json();
      $("open-count").textContent = new Intl.NumberFormat(lang === "ko" ? "ko-KR" : "en-GB").format(data.open_incidents);
      groupedBars($("by-week"), data.by_week, SERIES);
      groupedBars($("by-site"), data.by_site, SERIES);
    }
    const c = await api("/stats/cameras");
    if (c.ok) {
      const cameras = await c.json();
      const states = ["ok", "starting", "degraded", "restarting", "late", "offline", "never seen"];
      const counts = states.map((s) => ({ group: t[`state.${s}`], incidents: cameras.filter((x) => x.state === s).length }));
      groupedBars($("camera-chart"), counts.map((x) => ({ ...x, count: x.incidents })), [["count", "ack", "", ""]]);
      $("cameras").tBodies[0].replaceChildren(...cameras.map((cam) => {
        const tr = document.createElement("tr");
        // A silent camera's last word is not its state: its note is shown only while it is heard.
        const note = ["offline", "late"].includes(cam.state) ? "" : cam.note;
        for (const v of [cam.serial, cam.case_reference || "", window.swStaff.condition(t, cam), [note, cam.problem && window.sw.undelivered(t, cam)].filter(Boolean).join(" · ")]) tr.append(Object.assign(document.createElement("td"), { textContent: v }));
        tr.dataset.state = cam.state;
        return tr;
      }));
    }
  }
  // Signs that a protected person is drifting away: the open tasks (closed with what was
  // done) and the new signs per week. Not the security company's (it has no such tasks).
  const DRIFTS = ["watch_returned", "watch_silent", "camera_offline", "app_unused", "no_push"];
  const cell = (tag, text) => Object.assign(document.createElement(tag), { textContent: text });
  async function loadDrift() {
    const [w, k] = await Promise.all([api("/stats/disengagement?weeks=8"), api("/engagement-tasks")]);
    if (!w.ok || !k.ok) return;
    const weeks = await w.json(), tasks = await k.json();
    $("drift-card").hidden = false;
    const { moment } = window.sw.format(lang);
    $("drift-tasks").tBodies[0].replaceChildren(...tasks.map((task) => {
      const tr = document.createElement("tr");
      const what = t[`drift.${task.kind}`] + (task.subject ? ` (${task.subject})` : "");
      const note = Object.assign(document.createElement("input"), { type: "text", maxLength: 500 });
      note.setAttribute("aria-label", `${t.task_note}: ${task.case_reference} ${what}`);
      const done = cell("button", t.task_done);
      done.type = "button";
      done.addEventListener("click", async () => {
        const r = await api(`/engagement-tasks/${task.id}/close`, { method: "POST", body: JSON.stringify({ note: note.value }) });
        if (r.ok) loadDrift();
      });
      const act = document.createElement("td");
      act.append(note, " ", done);
      tr.append(cell("td", task.case_reference), cell("td", what), cell("td", moment(task.created_at)), act);
      tr.dataset.kind = task.kind;
      return tr;
    }));
    $("drift-weeks").tHead.rows[0].replaceChildren(cell("th", t.week), ...DRIFTS.map((d) => cell("th", t[`drift.${d}`])));
    window.sw.rows($("drift-weeks").tBodies[0], weeks.map((row) => [row.week, ...DRIFTS.map((d) => String(row.counts[d] || 0))]));
  }
  load();
  loadDrift();
  window.swStaff.every(15, load);
})();
