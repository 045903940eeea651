// The site editor: zones drawn as polygons on the camera's view. A click on the picture adds
// a corner to the new zone (the corners can also be typed); "Save" sends them to the hub,
// and the camera takes them at its next refresh.
"use strict";
(() => {
  const { lang, t, deviceId } = window.SAFEWATCH;
  const { $, api, item } = window.sw;
  const { moment } = window.sw.format(lang);
  const SVG = "http://www.w3.org/2000/svg";
  let zones = [];
  const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  const parseCorners = (text) => text.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split(",").map(Number));
  const formatCorners = (points) => points.map(([x, y]) => `${x},${y}`).join(" ");

  function draw() {
    const shapes = zones.map((z) => {
      const poly = document.createElementNS(SVG, "polygon");
      poly.setAttribute("points", formatCorners(z.polygon));
      poly.setAttribute("class", `zone ${z.kind}`);
      return poly;
    });
    const pending = parseCorners($("corners").value).filter((p) => p.length === 2 && p.every(Number.isFinite));
    if (pending.length) {
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("points", formatCorners(pending));
      line.setAttribute("class", "zone drawing");
      shapes.push(line);
    }
    $("canvas").replaceChildren(...shapes);
    $("zones").replaceChildren(...zones.map((z, k) => {
      const li = item(`${z.name} · ${t[`zone.${z.kind}`]}${z.kind === "perimeter" ? ` · ${z.loiter_seconds || 20} s` : ""} · ${z.polygon.length} ${t.corner_count}`);
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: `${t.remove} ${z.name}` });
      remove.addEventListener("click", () => { zones.splice(k, 1); draw(); });
      li.append(" ", remove);
      return li;
    }));
  }

  $("canvas").addEventListener("click", (event) => {
    const box = $("canvas").getBoundingClientRect();
    const point = [round((event.clientX - box.left) / box.width), round((event.clientY - box.top) / box.height)];
    $("corners").value = `${$("corners").value} ${point.join(",")}`.trim();
    draw();
  });
  $("corners").addEventListener("input", draw);
  $("new-zone").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const zone = { name: form.get("name").trim(), kind: form.get("kind"), polygon: parseCorners(form.get("corners")) };
    if (zone.kind === "perimeter") zone.loiter_seconds = Number(form.get("loiter_seconds"));
    zones.push(zone);
    event.target.reset();
    draw();
  });
  $("save").addEventListener("click", async () => {
    const r = await api(`/devices/${deviceId}/zones`, { method: "PUT", body: JSON.stringify({ zones }) });
    const body = await r.json();
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ") : body.detail;
    $("save-result").textContent = r.ok ? `${t.saved} ${moment(body.updated_at)}` : detail;
    $("save-result").className = r.ok ? "" : "error";
    if (r.ok) { zones = body.zones; draw(); }
  });

  (async () => {
    const device = await api(`/devices/${deviceId}`);
    if (device.ok) {
      const d = await device.json();
      $("serial").textContent = d.serial;
      if (d.case_id) {
        const c = await api(`/cases/${d.case_id}`);
        if (c.ok) Object.assign($("case-link"), { href: `/cases/${d.case_id}`, textContent: (await c.json()).reference });
        // What this camera covers of the home, beside the others: the home's plan.
        Object.assign($("plan-link"), { href: `/cases/${d.case_id}/plan`, hidden: false });
      }
    }
    const r = await api(`/devices/${deviceId}/zones`);
    if (r.ok) zones = (await r.json()).zones || [];
    draw();
    const view = await api(`/devices/${deviceId}/view`);
    if (view.ok) $("view").src = URL.createObjectURL(await view.blob());
    else { $("no-view").hidden = false; await view.body?.cancel(); }  // no-store: unread, it stays open
  })();
})();
