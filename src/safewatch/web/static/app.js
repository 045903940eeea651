// The protected person's app: one stream of alerts, acknowledgement, hold-to-send SOS, 112.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api } = window.sw;
  const when = (iso) =>
    new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", {
      dateStyle: "medium", timeStyle: "medium", timeZone: "Asia/Seoul",
    }).format(new Date(iso));

  // Quick exit: leave at once, signed out, with nothing to go "back" to. Someone who takes the
  // phone and opens the site again finds the sign-in page, not the alert and its footage.
  let stream = null;
  $("quick-exit").addEventListener("click", () => {
    if (stream) stream.close();
    document.body.innerHTML = "";
    // Nor does the lock screen keep saying that alerts come: this phone stops ringing for her
    // until she signs in and turns lock-screen alerts on again.
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.getRegistration("/app").then((r) => r && r.pushManager.getSubscription())
        .then((s) => s && s.unsubscribe()).catch(() => {});
    }
    // keepalive: the sign-out is sent even as the page goes away
    fetch("/logout", { method: "POST", credentials: "same-origin", keepalive: true, redirect: "manual" }).catch(() => {});
    window.location.replace("https://www.weather.go.kr/");
  });

  // --- Alerts ---------------------------------------------------------------------------
  // Every open alert is kept; the one shown in full is the person's choice, else the most
  // severe (offender at the door and SOS before a lawn intrusion), newest first within a kind.
  const SEVERITY = window.SAFEWATCH.severity;
  const open = new Map(); // incident id → { packet, answeredAt }
  let chosen = null; // an incident the person opened from the list
  const rank = (a, b) =>
    SEVERITY.indexOf(a.packet.incident.type) - SEVERITY.indexOf(b.packet.incident.type) ||
    b.packet.incident.opened_at.localeCompare(a.packet.incident.opened_at);
  const ordered = () => [...open.values()].sort(rank);
  const typeName = (incident) => t[`type.${incident.type}`] || incident.type;
  const fill = (text, words) => text.replace(/\{(\w+)\}/g, (whole, key) => words[key] ?? whole);
  const clock = (iso) =>
    new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { timeStyle: "short", timeZone: "Asia/Seoul" }).format(new Date(iso));

  // What has happened, and only that: each step is a fact the hub has recorded.
  function steps(incident) {
    const out = [t["step.open"]];
    if (incident.claimed) out.push(t["step.claimed"]);
    if (incident.guard_unit) out.push(`${t["step.dispatched"]}: ${incident.guard_unit}`);
    if (incident.status === "on_scene") out.push(t["step.on_scene"]);
    if (incident.police_status === "requested") {
      // Not reached is said as it is: nobody at 112 has it, so she may call herself.
      out.push(t[`step.police_${incident.police_reach}`] || t["step.police_waiting"]);
    } else if (incident.police_status !== "none") {
      out.push(t[`police.${incident.police_status}`]);
    }
    return out;
  }

  // The media of the incident on screen, and never another's: what it lacks is hidden.
  function media(packet) {
    const snapshot = $("alert-snapshot");
    if (packet.snapshot_url) {
      if (snapshot.getAttribute("src") !== packet.snapshot_url) snapshot.src = packet.snapshot_url;
      snapshot.hidden = false;
    } else {
      snapshot.removeAttribute("src");
      snapshot.hidden = true;
    }
    const clip = $("alert-clip");
    if (packet.clip_url) {
      if (clip.dataset.src !== packet.clip_url) {
        clip.dataset.src = packet.clip_url;
        clip.src = packet.clip_url;
        clip.play().catch(() => {}); // muted autoplay; the person can unmute
      }
      clip.hidden = false;
    } else if (clip.dataset.src) {
      clip.pause();
      clip.removeAttribute("src");
      delete clip.dataset.src;
      clip.load(); // drops the last incident's frames
      clip.hidden = true;
    }
    $("alert-clip-coming").hidden = Boolean(packet.clip_url) || !packet.clip_pending;
  }

  function render() {
    const all = ordered();
    $("quiet").hidden = all.length > 0;
    $("alert").hidden = all.length === 0;
    $("others-box").hidden = all.length < 2;
    if (!all.length) { chosen = null; return; }
    if (chosen && !open.has(chosen)) chosen = null;
    const top = chosen ? open.get(chosen) : all[0];
    const incident = top.packet.incident;
    $("alert").dataset.incident = incident.id;
    $("open-count").hidden = all.length < 2;
    $("open-count").textContent = fill(t.open_count, { n: all.length });
    $("alert-type").textContent = typeName(incident);
    $("alert-time").textContent = when(incident.opened_at);
    $("alert-time").dateTime = incident.opened_at;
    $("alert-summary").textContent = window.sw.describe(t, incident);
    media(top.packet);
    $("steps").replaceChildren(...steps(incident).map(window.sw.item));
    const unanswered = all.filter((a) => !a.answeredAt);
    $("ack").hidden = unanswered.length === 0;
    $("ack").textContent = unanswered.length > 1 ? fill(t.ack_all, { n: unanswered.length }) : t.ack;
    $("acked").hidden = !top.answeredAt;
    if (top.answeredAt) $("acked").textContent = fill(t.acked, { time: clock(top.answeredAt) });
    $("others").replaceChildren(...all.filter((a) => a !== top).map((a) => {
      const li = document.createElement("li");
      const button = Object.assign(document.createElement("button"), { type: "button", className: "row" });
      button.dataset.incident = a.packet.incident.id;
      button.textContent = `${typeName(a.packet.incident)} · ${clock(a.packet.incident.opened_at)} · ` +
        (a.answeredAt ? t.answered : t.not_answered);
      button.addEventListener("click", () => {
        chosen = a.packet.incident.id;
        render();
        $("alert").scrollIntoView({ behavior: "smooth" });
      });
      li.append(button);
      return li;
    }));
  }

  // A (re)connection sends the open alerts again, then "live": what closed while the phone was
  // away is not in it, so the list is built afresh from that backlog.
  let backlog = null;
  function receive(kind, packet) {
    const incident = packet.incident;
    if (kind === "backlog" && backlog) {
      const known = open.get(incident.id);
      backlog.set(incident.id, { packet, answeredAt: packet.answered_at || (known && known.answeredAt) || null });
      return;
    }
    const known = open.get(incident.id);
    if (incident.status === "closed") {
      if (!known) return;
      open.delete(incident.id);
      $("closed-note").textContent = fill(t.closed_note, { time: clock(incident.opened_at), type: typeName(incident) });
      $("closed-note").hidden = false;
      return render();
    }
    open.set(incident.id, { packet, answeredAt: packet.answered_at || (known && known.answeredAt) || null });
    if (kind === "alert" || kind === "escalation") {
      // A new alert: shown at once if it is the most severe, and told to the hub as seen.
      if (!known) {
        chosen = null;
        api(`/incidents/${incident.id}/seen`, { method: "POST" }); // once per alert shown
      }
      $("alert").scrollIntoView({ behavior: "smooth" });
      if (navigator.vibrate) navigator.vibrate([400, 200, 400]);
    }
    render();
  }

  // "I'm safe" answers every open alert the person has in front of her, not only the top one.
  $("ack").addEventListener("click", async () => {
    const waiting = ordered().filter((a) => !a.answeredAt);
    const answers = await Promise.all(waiting.map((a) =>
      api(`/incidents/${a.packet.incident.id}/acknowledge`, { method: "POST" }).then((r) => [a, r.ok])));
    const now = new Date().toISOString();
    // By id: the update the answer itself caused may have replaced the entry meanwhile.
    for (const [a, ok] of answers) {
      const current = open.get(a.packet.incident.id);
      if (ok && current) current.answeredAt = now;
    }
    const failed = answers.some(([, ok]) => !ok);
    render();
    if (failed) { $("acked").hidden = false; $("acked").textContent = t.ack_failed; }
  });

  function listen() {
    stream = new EventSource("/api/v1/stream", { withCredentials: true });
    window.sw.onEnded(stream);
    for (const kind of ["backlog", "alert", "escalation", "update"]) {
      stream.addEventListener(kind, (e) => receive(kind, JSON.parse(e.data)));
    }
    stream.addEventListener("live", () => {
      open.clear();
      for (const [id, item] of backlog || []) open.set(id, item);
      backlog = null;
      render();
    });
    stream.onopen = () => { $("offline").hidden = true; backlog = new Map(); };
    stream.onerror = () => { $("offline").hidden = false; }; // EventSource reconnects by itself
  }

  // --- SOS: hold for 1.5 s, so a pocket press does not send it ---------------------------
  const HOLD_MS = 1500;
  let holding = null;
  // A fix with what it is worth: its accuracy radius and when it was taken (issue 23).
  const fixOf = (p) => ({
    latitude: p.coords.latitude,
    longitude: p.coords.longitude,
    accuracy_m: p.coords.accuracy,
    taken_at: new Date(p.timestamp).toISOString(),
  });
  // "Follow me": while the SOS is open the phone sends a fix every few seconds, and the
  // consoles draw each one as it comes; it stops when the hub says no SOS is open.
  let following = null;
  const stopFollowing = () => {
    if (following !== null) navigator.geolocation.clearWatch(following);
    following = null;
  };
  function followMe() {
    if (!navigator.geolocation || following !== null) return;
    let last = 0;
    following = navigator.geolocation.watchPosition((p) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      api("/me/location", { method: "POST", body: JSON.stringify(fixOf(p)) })
        .then(async (r) => { if (r.ok && !(await r.json()).incident_id) stopFollowing(); })
        .catch(() => {});
    }, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
    setTimeout(stopFollowing, 30 * 60 * 1000);
  }
  const position = () =>
    new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve(fixOf(p)),
        () => resolve(null),
        { enableHighAccuracy: true, timeout: 3000, maximumAge: 30000 },
      );
    });
  async function sendSos() {
    $("sos-status").textContent = "…";
    try {
      const where = await position();
      const r = await api("/me/sos", { method: "POST", body: JSON.stringify(where || {}) });
      if (!r.ok) throw new Error(String(r.status));
      followMe();
      // Silent: no sound and no call placed by itself (the offender may be in the room);
      // the 112 button beside it is hers to press. One short vibration only if she chose it.
      if ($("sos-feedback").value === "vibrate" && navigator.vibrate) navigator.vibrate(150);
      $("sos-status").textContent = t.sos_sent;
    } catch (err) {
      $("sos-status").textContent = t.sos_failed;
    }
  }
  const sos = $("sos");
  sos.addEventListener("pointerdown", () => {
    sos.classList.add("holding");
    holding = setTimeout(() => { holding = null; sos.classList.remove("holding"); sendSos(); }, HOLD_MS);
  });
  for (const stop of ["pointerup", "pointerleave", "pointercancel"]) {
    sos.addEventListener(stop, () => { if (holding) { clearTimeout(holding); holding = null; } sos.classList.remove("holding"); });
  }
  sos.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sendSos(); } });

  // --- Guidance and measures ---------------------------------------------------------------
  async function loadCase() {
    const r = await api(`/me/case?language=${lang}`);
    if (!r.ok) return;
    const mine = await r.json();
    $("guidance").replaceChildren(...mine.guidance.map((g) => Object.assign(document.createElement("li"), { textContent: g })));
    $("measures").replaceChildren(...mine.measures.map((m) =>
      Object.assign(document.createElement("li"), {
        textContent: `${t[`measure.${m.kind}`] || m.kind} — ${t[`status.${m.status}`] || m.status}`,
      })));
    const { day } = window.sw.format(lang);
    const names = t.weekdays.split(",");
    const li = (text) => Object.assign(document.createElement("li"), { textContent: text });
    const times = mine.patrol_windows.map((w) => li(`${w.weekdays.map((d) => names[d]).join("·")} ${w.start}–${w.end}`));
    $("patrol-times").replaceChildren(...(times.length ? times : [li(t.none_yet)]));
    $("my-stay").textContent = mine.current_stay
      ? `${mine.current_stay.place_name} · ${day(mine.current_stay.check_in)}–${day(mine.current_stay.planned_check_out)}`
      : t.none_yet;
    // A device that does not work is said so: she must not trust a watch that never connected.
    const working = (d) => d.condition === "ok";
    const devices = mine.devices.map((d) => {
      const item = li(`${t[`device.${d.kind}`]} ${d.serial} — ${t[`mine.${d.condition}`] || t["mine.problem"]}`);
      item.dataset.condition = d.condition;
      return item;
    });
    $("my-devices").replaceChildren(...(devices.length ? devices : [li(t.none_yet)]));
    const watch = mine.devices.find((d) => d.kind === "smartwatch" && !working(d));
    if (watch) {
      const warning = li(t.watch_not_working);
      warning.className = "warning";
      $("guidance").prepend(warning);
    }
    if (mine.officer_station_phone) {
      Object.assign($("station-phone"), { href: `tel:${mine.officer_station_phone}`, textContent: mine.officer_station_phone });
      $("station").hidden = false;
    }
  }

  // --- Lock-screen alerts (Web Push) -------------------------------------------------------
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
  $("notify").addEventListener("click", async () => {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
    const registration = await navigator.serviceWorker.register("/app/sw.js", { scope: "/app" });
    if ((await Notification.requestPermission()) !== "granted") return;
    const { application_server_key } = await (await api("/push/key")).json();
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64(application_server_key) });
    const r = await api("/me/push-subscriptions", { method: "POST", body: JSON.stringify(subscription.toJSON()) });
    if (r.ok) $("notify").textContent = t.notifications_on;
  });

  // --- The app's lock: a PIN, and the duress PIN that unlocks the same way ------------------
  // Both PINs get the same answer and the same screen; the duress PIN has also told the
  // security company and 112, silently (issue 23: nothing a bystander could notice).
  const quietFix = async () => {
    try {  // only if already allowed: a permission prompt would show
      const allowed = navigator.permissions && (await navigator.permissions.query({ name: "geolocation" })).state === "granted";
      return allowed ? await position() : null;
    } catch (err) { return null; }
  };
  async function lockIfSet() {
    const r = await api("/me/app-lock");
    if (!r.ok || !(await r.json()).locked) return;
    document.body.classList.add("locked");
    $("lock").hidden = false;
    $("lock-pin").focus();
  }
  $("lock-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("lock-error").hidden = true;
    const where = await quietFix();
    const r = await api("/me/unlock", { method: "POST", body: JSON.stringify({ pin: $("lock-pin").value, ...(where || {}) }) });
    $("lock-pin").value = "";
    if (!r.ok) { $("lock-error").hidden = false; return; }
    document.body.classList.remove("locked");
    $("lock").hidden = true;
  });
  $("lock-set").addEventListener("submit", async (e) => {
    e.preventDefault();
    const duress = $("set-duress").value;
    const r = await api("/me/app-lock", { method: "PUT", body: JSON.stringify({ pin: $("set-pin").value, duress_pin: duress || null }) });
    $("set-pin").value = ""; $("set-duress").value = "";
    $("lock-saved").textContent = r.ok ? t.lock_saved : t.lock_not_saved;
  });

  (async () => {
    const r = await api("/me/sos-feedback");
    if (r.ok) $("sos-feedback").value = (await r.json()).feedback;
  })();
  $("sos-feedback").addEventListener("change", async () => {
    const r = await api("/me/sos-feedback", { method: "PUT", body: JSON.stringify({ feedback: $("sos-feedback").value }) });
    $("lock-saved").textContent = r.ok ? t.lock_saved : t.lock_not_saved;
  });

  lockIfSet();
  listen();
  loadCase();
})();
