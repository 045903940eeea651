// The protected person's app: one stream of alerts, acknowledgement, hold-to-send SOS, 112.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api } = window.sw;
  const when = (iso) =>
    new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", {
      dateStyle: "medium", timeStyle: "medium", timeZone: "Asia/Seoul",
    }).format(new Date(iso));

  // Quick exit: leave at once, and leave nothing to go "back" to.
  $("quick-exit").addEventListener("click", () => {
    document.body.innerHTML = "";
    window.location.replace("https://www.weather.go.kr/");
  });

  // --- Alerts ---------------------------------------------------------------------------
  let current = null; // the incident on screen
  function show(packet) {
    const incident = packet.incident;
    if (incident.status === "closed") {
      if (current && current.id === incident.id) { $("alert").hidden = true; $("quiet").hidden = false; current = null; }
      return;
    }
    const isNew = !current || current.id !== incident.id;
    current = incident;
    $("quiet").hidden = true;
    $("alert").hidden = false;
    $("alert-type").textContent = t[`type.${incident.type}`] || incident.type;
    $("alert-time").textContent = when(incident.opened_at);
    $("alert-time").dateTime = incident.opened_at;
    $("alert-summary").textContent = window.sw.describe(t, incident);
    if (packet.snapshot_url) { $("alert-snapshot").src = packet.snapshot_url; $("alert-snapshot").hidden = false; }
    const clip = $("alert-clip");
    if (packet.clip_url) {
      if (clip.dataset.incident !== incident.id) {
        clip.dataset.incident = incident.id;
        clip.src = packet.clip_url;
        clip.hidden = false;
        clip.play().catch(() => {}); // muted autoplay; the person can unmute
      }
      $("alert-clip-coming").hidden = true;
    } else {
      $("alert-clip-coming").hidden = !packet.clip_pending;
    }
    const steps = [t["step.open"]];
    if (incident.guard_unit) steps.push(`${t["step.dispatched"]}: ${incident.guard_unit}`);
    if (incident.status === "on_scene") steps.push(t["step.on_scene"]);
    if (incident.police_status !== "none") steps.push(t[`police.${incident.police_status}`]);
    $("steps").replaceChildren(...steps.map((s) => Object.assign(document.createElement("li"), { textContent: s })));
    if (isNew) {
      $("ack").hidden = false; $("acked").hidden = true;
      $("alert").scrollIntoView({ behavior: "smooth" });
      if (navigator.vibrate) navigator.vibrate([400, 200, 400]);
      api(`/incidents/${incident.id}/seen`, { method: "POST" });
    }
  }
  $("ack").addEventListener("click", async () => {
    if (!current) return;
    const r = await api(`/incidents/${current.id}/acknowledge`, { method: "POST" });
    if (r.ok) { $("ack").hidden = true; $("acked").hidden = false; }
  });

  function listen() {
    const stream = new EventSource("/api/v1/stream", { withCredentials: true });
    for (const kind of ["backlog", "alert", "escalation", "update"]) {
      stream.addEventListener(kind, (e) => show(JSON.parse(e.data)));
    }
    stream.onopen = () => { $("offline").hidden = true; };
    stream.onerror = () => { $("offline").hidden = false; }; // EventSource reconnects by itself
  }

  // --- SOS: hold for 1.5 s, so a pocket press does not send it ---------------------------
  const HOLD_MS = 1500;
  let holding = null;
  const position = () =>
    new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude }),
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
      const receipt = await r.json();
      $("sos-status").textContent = t.sos_sent;
      setTimeout(() => { window.location.href = receipt.call; }, 800);
    } catch (err) {
      $("sos-status").textContent = t.sos_failed;
      window.location.href = "tel:112";
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
    const devices = mine.devices.map((d) => li(`${t[`device.${d.kind}`]} ${d.serial}`));
    $("my-devices").replaceChildren(...(devices.length ? devices : [li(t.none_yet)]));
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

  listen();
  loadCase();
})();
