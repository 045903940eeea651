// The security company's and the 112 centre's console: a queue to triage (the most severe
// first, one row per home, who / where / state / police / age) and one incident's page with
// its state and only the actions that state allows (the hub says which).
"use strict";
(() => {
  const { lang, role, t } = window.SAFEWATCH;
  const { $, api, fill } = window.sw;
  const dispatcher = role === "dispatcher";
  const when = (iso) =>
    new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { timeStyle: "medium", timeZone: "Asia/Seoul" })
      .format(new Date(iso));
  const relative = new Intl.RelativeTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { style: "short" });
  const age = (iso) => {
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return relative.format(-Math.round(s), "second");
    if (s < 3600) return relative.format(-Math.floor(s / 60), "minute");
    if (s < 86400) return relative.format(-Math.floor(s / 3600), "hour");
    return relative.format(-Math.floor(s / 86400), "day");
  };
  const label = (type) => t[`type.${type}`] || type;
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };
  // The map (Leaflet, served by the hub): the position with its accuracy circle, the track
  // since the SOS, the registered home; the tiles come from the region's tile server.
  let map = null;
  let drawn = null;
  function drawMap(d) {
    const { L } = window;
    const box = $("d-map");
    const loc = d.packet.location;
    const person = d.packet.protected_person;
    const home = person && person.latitude != null ? [person.latitude, person.longitude] : null;
    const here = loc.latitude != null ? [loc.latitude, loc.longitude] : null;
    // A proximity: where the offender's monitor is, beside her places.
    const f = d.packet.incident.facts;
    const him = f && f.kind === "proximity" && f.latitude != null ? [f.latitude, f.longitude] : null;
    if (!L || (!here && !home)) { box.hidden = true; return; }
    box.hidden = false;
    const track = (d.track || []).map((f) => [f.latitude, f.longitude]);
    // The bounds from the points themselves: a circle's own needs a map already shown.
    const bounds = L.latLngBounds([]);
    track.forEach((p) => bounds.extend(p));
    (d.guards || []).forEach((g) => bounds.extend([g.latitude, g.longitude]));
    if (home) bounds.extend(home);
    if (here) bounds.extend(loc.accuracy_m ? L.latLng(here).toBounds(loc.accuracy_m * 2) : here);
    if (him) bounds.extend(him);
    if (!map) {
      map = L.map(box, { zoomControl: true }).setView(bounds.getCenter(), 15);
      L.tileLayer(window.SAFEWATCH.map.tiles, { maxZoom: 19, attribution: window.SAFEWATCH.map.attribution }).addTo(map);
    }
    map.invalidateSize();
    map.fitBounds(bounds.pad(0.3), { maxZoom: 17, animate: false });
    if (drawn) drawn.remove();
    drawn = L.layerGroup().addTo(map);
    if (track.length > 1) L.polyline(track, { className: "map-track" }).addTo(drawn);
    if (home) L.circleMarker(home, { radius: 7, className: "map-home" }).bindTooltip(t["loc.place.home"]).addTo(drawn);
    (d.guards || []).forEach((g) => {
      L.circleMarker([g.latitude, g.longitude], { radius: 6, className: "map-guard" })
        .bindTooltip(el("span", null, g.unit), { permanent: true, direction: "right" }).addTo(drawn);
    });
    if (here) {
      if (loc.accuracy_m) L.circle(here, { radius: loc.accuracy_m, className: "map-accuracy" }).addTo(drawn);
      L.circleMarker(here, { radius: 6, className: "map-fix" }).addTo(drawn);
    }
    if (him) {
      if (f.accuracy_m) L.circle(him, { radius: f.accuracy_m, className: "map-offender-accuracy" }).addTo(drawn);
      L.circleMarker(him, { radius: 7, className: "map-offender" })
        .bindTooltip(el("span", null, t["map.offender"]), { permanent: true, direction: "right" }).addTo(drawn);
    }
  }
  // An SOS and the offender at the door stand out.
  const CRITICAL = new Set(["sos", "offender_recognized"]);
  const ROUTES = {
    claim: "claim", dispatch: "dispatch", arrive: "arrive", request_police: "request-police", resolve: "resolve",
    police_accept: "police/accept", police_dispatch: "police/dispatch", police_close: "police/close",
  };

  // What state the response is in: new, claimed (by whom), guards dispatched, on scene.
  function stateText(i, claim, claimer) {
    if (i.status === "closed") return t["istate.closed"] + (i.outcome ? ` · ${t[i.outcome] || i.outcome}` : "");
    if (i.status === "dispatched") return t["istate.dispatched"] + (i.guard_unit ? ` · ${i.guard_unit}` : "");
    if (i.status === "on_scene") return t["istate.on_scene"] + (i.guard_unit ? ` · ${i.guard_unit}` : "");
    if (claim === "you") return t["istate.claimed_by_you"];
    if (claimer) return fill(t["istate.claimed"], { name: claimer });
    return t[`istate.${i.status}`] || i.status;
  }
  // How far the police request got (112 itself: whether it has accepted); once 112 took it,
  // what 112 did.
  const policeText = (reach, policeStatus) => {
    if (reach === "accepted") return t[`police.${policeStatus}`] || policeStatus;
    return dispatcher && reach !== "not_requested" ? t.police_waiting_112 : t[`reach.${reach}`] || reach;
  };
  // What a police request asks of the police, and why the police were asked.
  function askText(i, request) {
    if (!request || !request.asked) return "";
    if (request.asked === "escalated") {
      return `${fill(t["ask.escalated"], { group: t[`recipient.${request.by}`] || request.by })} · ${window.sw.describe(t, i)}`;
    }
    if (request.asked === "by_person") {
      return `${fill(t["ask.by_person"], { who: window.sw.actorText(t, request.by) })}` +
        `${request.note ? `: “${request.note}”` : ""} · ${window.sw.describe(t, i)}`;
    }
    return [t[`ask.${i.type}`], window.sw.describe(t, i)].filter(Boolean).join(" · ");
  }

  // --- The queue: the hub's triage order, one row per home ----------------------------------
  let items = [];
  let selected = null;
  const unfolded = new Set(); // the homes whose other incidents the person opened

  function rowButton(i, count, sub) {
    const b = el("button", `row${sub ? " sub" : ""}${selected === i.id ? " selected" : ""}`);
    b.type = "button";
    b.dataset.id = i.id;
    b.dataset.type = i.type;
    if (selected === i.id) b.setAttribute("aria-current", "true");
    const head = el("span", "row-head");
    head.append(el("strong", "row-type", dispatcher ? `${t.queue_police_request}: ${label(i.type)}` : label(i.type)));
    if (!sub) head.append(` · ${i.person_name} · ${i.area} · ${i.case_reference}`);
    if (count > 1) head.append(" ", el("span", "count", fill(t.queue_count, { count })));
    b.append(head);
    if (dispatcher) b.append(el("span", "row-ask", askText(i, i.police)));
    const line = el("span", "row-line");
    const police = i.police.reach === "not_requested" ? "" : policeText(i.police.reach, i.police_status);
    const stateSpan = el("span", `row-state state-${i.status}`, stateText(i, i.claim, i.claimed_by_name));
    line.append(stateSpan);
    if (police) line.append(" · ", el("span", `row-police reach-${i.police.reach}`, police));
    const time = el("time", "age", age(i.created_at));
    time.dateTime = i.created_at;
    line.append(" · ", time);
    b.append(line);
    b.addEventListener("click", () => select(i.id));
    return b;
  }

  function renderQueue() {
    const open = items.filter((i) => i.status !== "closed");
    $("queue-empty").hidden = open.length > 0;
    const homes = new Map(); // case → its incidents, in the hub's order (the most severe first)
    for (const i of open) {
      if (!homes.has(i.case_id)) homes.set(i.case_id, []);
      homes.get(i.case_id).push(i);
    }
    $("queue").replaceChildren(...[...homes.values()].map(([top, ...rest]) => {
      const li = el("li", `home sev-${top.severity}${CRITICAL.has(top.type) ? " critical" : ""}`);
      li.append(rowButton(top, rest.length + 1, false));
      if (rest.length) {
        const more = el("details", "more");
        more.open = unfolded.has(top.case_id) || rest.some((i) => i.id === selected);
        more.addEventListener("toggle", () => {
          if (more.open) unfolded.add(top.case_id); else unfolded.delete(top.case_id);
        });
        const list = el("ul");
        list.append(...rest.map((i) => {
          const item = el("li");
          item.append(rowButton(i, 0, true));
          return item;
        }));
        more.append(el("summary", "", fill(t.queue_more, { count: rest.length })), list);
        li.append(more);
      }
      return li;
    }));
  }
  setInterval(() => document.querySelectorAll("#queue time.age").forEach((node) => {
    node.textContent = age(node.dateTime);
  }), 15000);

  async function loadQueue() {
    const r = await api("/incidents?order=triage&size=200");
    if (!r.ok) return;
    items = (await r.json()).items;
    renderQueue();
  }

  // --- One incident -----------------------------------------------------------------------
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

  let shown = null; // the detail on screen: what changed under the person's eyes is said
  let acting = false;
  let asked = 0; // only the latest answer is drawn (a stream update and an action may cross)

  function changedText(before, d) {
    if (!before || before.summary.id !== d.summary.id || acting) return "";
    const last = (kinds) => [...d.timeline].reverse().find((e) => kinds.includes(e.kind));
    if (before.summary.status !== "closed" && d.summary.status === "closed") {
      const e = last(["resolved", "false_alarm"]);
      return fill(t.closed_meanwhile, { who: e ? window.sw.actorText(t, e.actor) : "" });
    }
    if (before.claim !== "someone_else" && d.claim === "someone_else") {
      return fill(t.claimed_meanwhile, { who: d.claimed_by_name || "" });
    }
    return "";
  }

  function showActions(allowed) {
    const can = new Set(allowed);
    document.querySelectorAll("#incident [data-action]").forEach((b) => {
      if (!b.closest("[data-for]")) b.hidden = !can.has(b.dataset.action);
    });
    document.querySelectorAll("#incident [data-for]").forEach((box) => {
      box.hidden = !box.dataset.for.split(" ").some((a) => can.has(a));
    });
  }

  async function select(id) {
    if (id !== selected) {
      stopLive();
      $("action-error").hidden = true;
      $("d-changed").hidden = true;
    }
    selected = id;
    renderQueue();
    const mine = ++asked;
    const r = await api(`/incidents/${id}`);
    if (!r.ok || selected !== id) return;
    const d = await r.json();
    if (mine !== asked) return;
    const p = d.packet;
    const changed = changedText(shown, d);
    if (changed) {
      $("d-changed").textContent = changed;
      $("d-changed").hidden = false;
    }
    shown = d;
    $("choose").hidden = true;
    $("incident").hidden = false;
    $("d-ref").textContent = d.summary.reference;
    $("d-type").textContent = label(d.summary.type);
    $("d-state").textContent = stateText(d.summary, d.claim, d.claimed_by_name);
    $("d-state").dataset.status = d.summary.status;
    $("d-police").textContent = policeText(p.incident.police_reach, d.summary.police_status);
    $("d-police").dataset.reach = p.incident.police_reach;
    $("d-ask").textContent = askText(d.summary, p.incident.police_request);
    $("d-ask-box").hidden = !(dispatcher && p.incident.police_request);
    $("d-summary").textContent = window.sw.describe(t, d.summary);
    $("d-person").textContent = p.protected_person ? `${p.protected_person.name} · ${p.protected_person.phone} · ${p.protected_person.address}` : "";
    $("d-offender").textContent = (p.offenders || []).map((o) => `${o.name}${o.relation ? ` · ${window.sw.relation(t, o.relation)}` : ""} (${o.description})`).join(", ");
    const loc = p.location;
    const radius = loc.accuracy_m != null
      ? ` ${window.sw.fill(t["loc.radius"], { radius: Math.round(loc.accuracy_m), source: t[`loc.source.${loc.source || "unknown"}`] })}`
      : "";
    $("d-location").textContent = loc.latitude != null ? `${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}${radius}` + (loc.battery_percent != null ? ` · 🔋${loc.battery_percent}%` : "") : "";
    $("d-doubt").textContent = window.sw.doubtText(t, loc);
    $("d-doubt").hidden = !$("d-doubt").textContent;
    drawMap(d);
    if (p.snapshot_url) { $("d-snapshot").src = p.snapshot_url; $("d-snapshot").hidden = false; } else { $("d-snapshot").hidden = true; }
    if (p.clip_url) { if ($("d-clip").dataset.src !== p.clip_url) { $("d-clip").src = p.clip_url; $("d-clip").dataset.src = p.clip_url; } $("d-clip").hidden = false; } else { $("d-clip").hidden = true; }
    $("live-toggle").hidden = d.summary.status === "closed";
    if (d.summary.status === "closed") stopLive();
    // The case's cameras as they are now: a silent one is offline, whatever it last said.
    $("d-cameras").replaceChildren(...(d.cameras || []).map((c) => {
      const li = document.createElement("li");
      li.dataset.condition = c.condition;
      const said = ["degraded", "restarting", "starting"].includes(c.condition) && c.note ? `: ${c.note}` : "";
      li.textContent = `${c.serial} · ${t[`state.${c.condition}`] || c.condition}${said}` + (c.problem ? ` · ${window.sw.undelivered(t, c)}` : "");
      return li;
    }));
    $("d-cameras-box").hidden = !(d.cameras || []).length;
    $("d-timeline").replaceChildren(...d.timeline.map((e) => {
      const li = document.createElement("li");
      li.dataset.kind = e.kind;
      li.textContent = `${when(e.at)} ${window.sw.entryText(t, e)}`;
      return li;
    }));
    showActions(d.actions);
    $("incident").dataset.id = d.summary.id;
    $("incident").dataset.status = d.summary.status;
  }

  async function act(action) {
    if (!selected) return;
    const body = {};
    if (action === "dispatch") body.unit = $("unit").value || "guard team";
    if (action === "request_police") body.note = $("police-note").value || "";
    if (action.startsWith("police_")) body.note = $("note").value || "";
    if (action === "resolve") {
      body.outcome = document.querySelector("input[name=outcome]:checked").value;
      body.reason = $("reason").value;
      body.not_the_offender = $("not-offender").checked;
    }
    acting = true; // what this person does is not news to them (the stream echoes it too)
    try {
      const r = await api(`/incidents/${selected}/${ROUTES[action]}`, { method: "POST", body: JSON.stringify(body) });
      $("action-error").hidden = r.ok;
      if (!r.ok) {
        const problem = await r.json().catch(() => ({}));
        $("action-error").textContent = `${t.action_failed}: ${problem.detail || r.status}`;
        acting = false;
        await select(selected);  // show what the incident has become meanwhile
        return;
      }
      $("d-changed").hidden = true;
      await select(selected);
    } finally {
      acting = false;
    }
    if (action === "resolve") $("incident").querySelector(".close-box").open = false;
    loadQueue();
  }
  document.querySelectorAll("#incident [data-action]").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));

  // Every alert and change reloads the queue (its order and rows are the hub's) and, if it is
  // the incident on screen, its page.
  let pending = null;
  const stream = new EventSource("/api/v1/stream", { withCredentials: true });
  window.sw.onEnded(stream);
  for (const kind of ["backlog", "alert", "escalation", "update"]) {
    stream.addEventListener(kind, (e) => {
      const packet = JSON.parse(e.data);
      if (selected === packet.incident.id && kind !== "backlog") select(selected);
      clearTimeout(pending);
      pending = setTimeout(loadQueue, 150);
    });
  }
  loadQueue();
})();
