// The home's plan: each camera's covered area and the ways in (doors, windows, a gas pipe).
// A click on the plan adds a corner to the picked camera's area — or, with a way-in name
// typed, marks that way in. The hub says which ways in no camera sees (its blind spots).
"use strict";
(() => {
  const { lang, t, caseId } = window.SAFEWATCH;
  const { $, api, item, fill } = window.sw;
  const SVG = "http://www.w3.org/2000/svg";
  let plan = { ways_in: [], cameras: [], blind_spots: [] };
  const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  const node = (name, attrs, text) => {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  };

  function draw() {
    const shapes = plan.cameras.filter((c) => c.area.length).map((c, k) => node("polygon", {
      points: c.area.map(([x, y]) => `${x},${y}`).join(" "), class: `coverage c${k % 4}`,
    }));
    for (const w of plan.ways_in) {
      const blind = !w.seen_by || !w.seen_by.length;
      shapes.push(node("circle", { cx: w.x, cy: w.y, r: 0.012, class: blind ? "way blind" : "way seen" }));
    }
    $("plan").replaceChildren(...shapes);
    $("ways").replaceChildren(...plan.ways_in.map((w, k) => {
      const seen = w.seen_by && w.seen_by.length;
      const li = item(`${w.name} — ${seen ? fill(t.plan_seen_by, { cameras: w.seen_by.join(", ") }) : t.plan_blind}`);
      li.className = seen ? "" : "error";
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: `${t.remove} ${w.name}` });
      remove.addEventListener("click", () => { plan.ways_in.splice(k, 1); draw(); });
      li.append(" ", remove);
      return li;
    }));
    $("blind").textContent = plan.blind_spots.length
      ? fill(t.plan_blind_spots, { ways: plan.blind_spots.join(", ") })
      : (plan.ways_in.length ? t.plan_all_seen : "");
    $("blind").className = plan.blind_spots.length ? "doubt" : "muted";
  }

  function show(body) {
    plan = body;
    const picked = $("camera-pick").value;
    $("camera-pick").replaceChildren(...plan.cameras.map((c) => Object.assign(document.createElement("option"), { value: c.device_id, textContent: c.serial })));
    if (picked) $("camera-pick").value = picked;
    draw();
  }

  $("plan").addEventListener("click", (event) => {
    const box = $("plan").getBoundingClientRect();
    const x = round((event.clientX - box.left) / box.width), y = round((event.clientY - box.top) / box.height);
    const name = $("way-name").value.trim();
    if (name) {
      plan.ways_in.push({ name, x, y, seen_by: null });
      $("way-name").value = "";
    } else {
      const camera = plan.cameras.find((c) => c.device_id === $("camera-pick").value);
      if (camera) camera.area.push([x, y]);
    }
    draw();
  });
  $("clear-area").addEventListener("click", () => {
    const camera = plan.cameras.find((c) => c.device_id === $("camera-pick").value);
    if (camera) { camera.area = []; draw(); }
  });
  $("save-plan").addEventListener("click", async () => {
    const body = {
      ways_in: plan.ways_in.map(({ name, x, y }) => ({ name, x, y })),
      coverage: plan.cameras.map((c) => ({ device_id: c.device_id, area: c.area })),
    };
    const r = await api(`/cases/${caseId}/plan`, { method: "PUT", body: JSON.stringify(body) });
    const answer = await r.json();
    $("plan-result").textContent = r.ok ? t.saved : (typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail));
    $("plan-result").className = r.ok ? "" : "error";
    if (r.ok) show(answer);
  });
  $("picture-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("picture-file").files[0];
    if (!file) return;
    const r = await api(`/cases/${caseId}/plan/picture`, { method: "PUT", body: file, headers: { "Content-Type": file.type } });
    if (r.ok) loadPicture();
    else $("plan-result").textContent = (await r.json()).detail;
  });

  async function loadPicture() {
    const r = await api(`/cases/${caseId}/plan/picture`);
    if (r.ok) {
      Object.assign($("plan-picture"), { src: URL.createObjectURL(await r.blob()), hidden: false });
      $("no-picture").hidden = true;
    } else {
      $("no-picture").hidden = false;
      await r.body?.cancel();
    }
  }

  (async () => {
    const c = await api(`/cases/${caseId}`);
    if (c.ok) $("case-link").textContent = (await c.json()).reference;
    const r = await api(`/cases/${caseId}/plan`);
    if (r.ok) show(await r.json());
    loadPicture();
  })();
})();
