// The security company's and the 112 centre's console: a live queue and one incident's page.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api } = window.sw;
  const when = (iso) =>
    new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { timeStyle: "medium", timeZone: "Asia/Seoul" })
      .format(new Date(iso));
  const label = (type) => t[`type.${type}`] || type;
  const rows = new Map(); // incident id → summary
  let selected = null;

  function renderQueue() {
    const open = [...rows.values()].filter((i) => i.status !== "closed")
      .sort((a, b) => (b.opened_at || b.created_at).localeCompare(a.opened_at || a.created_at));
    $("queue-empty").hidden = open.length > 0;
    $("queue").replaceChildren(...open.map((i) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = `row sev-${i.severity}` + (selected === i.id ? " selected" : "");
      button.textContent = `${when(i.opened_at || i.created_at)} · ${label(i.type)} · ${i.reference}`;
      button.addEventListener("click", () => select(i.id));
      li.append(button);
      return li;
    }));
  }

  function upsert(incident) {
    rows.set(incident.id, { ...(rows.get(incident.id) || {}), ...incident });
    renderQueue();
  }

  // Watching a home is a deliberate act (and audited): the live view starts on request. The
  // picture is asked for again each time the last one has arrived, about once a second.
  let liveTimer = null;
  function stopLive() {
    clearTimeout(liveTimer);
    liveTimer = null;
    $("d-live").removeAttribute("src");
    $("d-live").hidden = true;
    $("live-toggle").setAttribute("aria-pressed", "false");
    $("live-toggle").textContent = t.live_view;
  }
  function nextPicture() {
    $("d-live").src = `/api/v1/incidents/${selected}/live.jpg?at=${Date.now()}`;
  }
  const again = () => { if (!$("d-live").hidden) liveTimer = setTimeout(nextPicture, 1000); };
  $("d-live").addEventListener("load", again);
  $("d-live").addEventListener("error", again);  // not sent yet: the camera is asked to
  $("live-toggle").addEventListener("click", () => {
    if (!$("d-live").hidden) return stopLive();
    $("d-live").hidden = false;
    $("live-toggle").setAttribute("aria-pressed", "true");
    $("live-toggle").textContent = t.stop_live;
    nextPicture();
  });

  async function select(id) {
    if (id !== selected) stopLive();
    selected = id;
    renderQueue();
    const r = await api(`/incidents/${id}`);
    if (!r.ok) return;
    const d = await r.json();
    const p = d.packet;
    $("choose").hidden = true;
    $("incident").hidden = false;
    $("d-ref").textContent = d.summary.reference;
    $("d-type").textContent = label(d.summary.type);
    $("d-summary").textContent = window.sw.describe(t, d.summary);
    $("d-person").textContent = p.protected_person ? `${p.protected_person.name} · ${p.protected_person.phone} · ${p.protected_person.address}` : "";
    $("d-offender").textContent = (p.offenders || []).map((o) => `${o.name}${o.relation ? ` · ${window.sw.relation(t, o.relation)}` : ""} (${o.description})`).join(", ");
    const loc = p.location;
    $("d-location").textContent = loc.latitude != null ? `${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}` + (loc.battery_percent != null ? ` · 🔋${loc.battery_percent}%` : "") : "";
    if (p.snapshot_url) { $("d-snapshot").src = p.snapshot_url; $("d-snapshot").hidden = false; } else { $("d-snapshot").hidden = true; }
    if (p.clip_url) { if ($("d-clip").dataset.src !== p.clip_url) { $("d-clip").src = p.clip_url; $("d-clip").dataset.src = p.clip_url; } $("d-clip").hidden = false; } else { $("d-clip").hidden = true; }
    // The case's cameras as they are now: a silent one is offline, whatever it last said.
    $("d-cameras").replaceChildren(...(d.cameras || []).map((c) => {
      const li = document.createElement("li");
      li.dataset.condition = c.condition;
      const said = ["degraded", "restarting", "starting"].includes(c.condition) && c.note ? `: ${c.note}` : "";
      li.textContent = `${c.serial} · ${t[`state.${c.condition}`] || c.condition}${said}` + (c.problem ? ` · ${c.problem}` : "");
      return li;
    }));
    $("d-cameras-box").hidden = !(d.cameras || []).length;
    $("d-timeline").replaceChildren(...d.timeline.map((e) => {
      const li = document.createElement("li");
      li.dataset.kind = e.kind;
      li.textContent = `${when(e.at)} ${window.sw.entryText(t, e)}`;
      return li;
    }));
    upsert(d.summary);
  }

  async function act(action) {
    if (!selected) return;
    const body = {};
    if (action === "dispatch") body.unit = $("unit").value || "guard team";
    if (action === "request-police") body.note = $("reason").value || "";
    if (action.startsWith("police/")) body.note = $("note").value || "";
    if (action === "resolve") {
      body.outcome = document.querySelector("input[name=outcome]:checked").value;
      body.reason = $("reason").value;
      body.not_the_offender = $("not-offender").checked;
    }
    const r = await api(`/incidents/${selected}/${action}`, { method: "POST", body: JSON.stringify(body) });
    $("action-error").hidden = r.ok;
    if (!r.ok) {
      const problem = await r.json().catch(() => ({}));
      $("action-error").textContent = `${t.action_failed}: ${problem.detail || r.status}`;
      return;
    }
    await select(selected);
  }
  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));

  async function load() {
    const r = await api("/incidents?size=100");
    if (r.ok) (await r.json()).items.forEach(upsert);
  }
  const stream = new EventSource("/api/v1/stream", { withCredentials: true });
  for (const kind of ["backlog", "alert", "escalation", "update"]) {
    stream.addEventListener(kind, (e) => {
      const packet = JSON.parse(e.data);
      upsert({ ...packet.incident, created_at: packet.incident.opened_at });
      if (selected === packet.incident.id) select(selected);
    });
  }
  load();
})();
