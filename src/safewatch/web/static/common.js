// Shared by every screen: the API with the session cookie and the app header (which a
// forged cross-site form cannot send), and element lookup.
"use strict";
window.sw = {
  $: (id) => document.getElementById(id),
  api: (path, options = {}) =>
    fetch(`/api/v1${path}`, {
      credentials: "same-origin",
      ...options,
      headers: { "X-Safewatch-App": "1", "Content-Type": "application/json", ...(options.headers || {}) },
    }),
  // Dates, times and won amounts as people of the page's language write them (region time).
  format: (lang, timeZone = "Asia/Seoul") => {
    const locale = lang === "ko" ? "ko-KR" : "en-GB";
    const days = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone });
    const moments = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone });
    const won = new Intl.NumberFormat(locale, { style: "currency", currency: "KRW" });
    return {
      day: (iso) => (iso ? days.format(new Date(iso)) : "—"),
      moment: (iso) => (iso ? moments.format(new Date(iso)) : "—"),
      krw: (amount) => won.format(amount),
    };
  },
  // A stream whose access ended (signed out elsewhere, account disabled or changed, a case
  // taken away) ends with "ended": if this screen's own sign-in is gone, leave for the sign-in
  // page at once (nothing stays on screen); otherwise the stream reconnects by itself.
  onEnded: (stream) =>
    stream.addEventListener("ended", async () => {
      const me = await window.sw.api("/users/me").catch(() => null);
      if (!me || me.status === 401) {
        stream.close();
        document.body.innerHTML = "";
        window.location.replace("/login");
      }
    }),
  // A table body from rows of cell values (text or nodes).
  rows: (body, rows) =>
    body.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const value of cells) {
        const td = document.createElement("td");
        td.append(value ?? "");
        tr.append(td);
      }
      return tr;
    })),
  item: (text) => Object.assign(document.createElement("li"), { textContent: text }),
  // A word with its {placeholders} filled.
  fill: (text, params) => String(text).replace(/\{(\w+)\}/g, (_, k) => params[k] ?? ""),
  // What an incident is and what a timeline entry says, in the page's words: every screen
  // words them here from the incident's facts (the stored summary is English, for logs).
  describe: (t, incident) => {
    const f = incident && incident.facts;
    if (!f) return incident ? incident.summary : "";
    return window.sw.said(t, f);
  },
  said: (t, f) => {
    const { fill } = window.sw;
    const what = t[`type.${f.kind}`] || f.kind;
    const parts = [];
    if (f.kind === "sos") {
      parts.push(t[`describe.sos.${f.source}`] || what);
      if (f.duress) parts.push(t["describe.duress"]);
      parts.push(f.latitude != null && f.longitude != null
        ? fill(t["describe.at"], { latitude: f.latitude.toFixed(5), longitude: f.longitude.toFixed(5) })
        : t["describe.no_location"]);
    } else if (f.kind === "proximity") {
      const d = f.distance_m ?? 0;
      const distance = d >= 1000 ? fill(t["dist.km"], { km: (d / 1000).toFixed(1) }) : fill(t["dist.m"], { m: d });
      parts.push(fill(t["describe.proximity"], { distance, place: t[`loc.place.${f.near}`] || f.near || "" }));
      if (f.latitude != null && f.longitude != null) {
        parts.push(fill(t["describe.offender_at"], { latitude: f.latitude.toFixed(5), longitude: f.longitude.toFixed(5) }) +
          (f.accuracy_m != null ? ` ${fill(t["loc.radius"], { radius: Math.round(f.accuracy_m), source: t[`loc.source.${f.fix_source || "unknown"}`] })}` : ""));
      }
    } else if (f.kind === "watch_silent") {
      parts.push(fill(t["describe.watch_silent"], { serial: f.serial || "", minutes: f.minutes ?? "" }));
    } else if (f.kind === "manual") {
      parts.push(f.text ? `${what}: ${f.text}` : what);
    } else if (f.kind === "camera_offline" && f.serial) {
      parts.push(fill(t["describe.camera_silent"], { serial: f.serial, minutes: Math.max(1, Math.round((f.seconds || 0) / 60)) }));
    } else if (f.zone) {
      parts.push(fill(t["describe.in_zone"], { zone: f.zone, what }));
    } else {
      parts.push(f.camera ? fill(t["describe.by_camera"], { camera: f.camera, what }) : what);
    }
    if (f.battery != null) parts.push(fill(t["describe.battery"], { battery: f.battery }));
    return parts.join(" · ");
  },
  // Who did it: the system, a camera, a device, or a person "Name (role)".
  actorText: (t, actor) => {
    const { fill } = window.sw;
    if (!actor || actor === "system") return t["actor.system"];
    let m = /^camera (.+)$/.exec(actor);
    if (m) return fill(t["actor.camera"], { camera: m[1] });
    m = /^device (.+)$/.exec(actor);
    if (m) return fill(t["actor.device"], { serial: m[1] });
    m = /^(.*) \((admin|officer|caseworker|security operator|dispatcher|protected person)\)$/.exec(actor);
    if (m) return `${m[1]} (${t[`role.${m[2].replace(" ", "_")}`]})`;
    return actor;
  },
  // A timeline line's detail from its facts (without facts, the detail is a person's words).
  reasonText: (t, f) => {
    const { fill, said } = window.sw;
    const type = (k) => t[`type.${k}`] || k;
    const group = (r) => t[`recipient.${r}`] || r;
    const at = (iso) => window.sw.format(document.documentElement.lang).moment(iso);
    const minutes = (s) => Math.max(1, Math.round((s || 0) / 60));
    const police = (key) => `${t[key]} · ` +
      (f.phone ? fill(t["reason.duty_phone_texted"], { phone: f.phone }) : t["reason.no_duty_phone"]);
    const text = {
      signal: () => (f.signal ? said(t, f.signal) : ""),
      incident_type: () => type(f.kind),
      upgraded: () => `${type(f.before)} → ${type(f.kind)}`,
      requested_by: () => fill(t["reason.requested_by"], { role: t[`role.${f.role}`] || f.role }) + (f.note ? `: ${f.note}` : ""),
      deadline_missed: () => fill(t["reason.deadline_missed"], { group: group(f.missed), by: at(f.by) }) + (f.to ? ` → ${group(f.to)}` : ""),
      for_group: () => group(f.to),
      clip_added: () => fill(t["reason.clip_added"], { camera: f.camera || "" }),
      location: () => fill(t["describe.at"], { latitude: f.latitude.toFixed(5), longitude: f.longitude.toFixed(5) })
        + (f.accuracy_m != null ? ` ${fill(t["loc.radius"], { radius: Math.round(f.accuracy_m), source: t[`loc.source.${f.fix_source || "unknown"}`] })}` : ""),
      police_reached_nobody: () => police("reason.police_reached_nobody"),
      police_not_in_time: () => police("reason.police_not_in_time"),
      camera_back: () => fill(t["reason.camera_back"], { serial: f.serial || "", minutes: minutes(f.seconds) }) +
        (f.state ? ` (${t[`state.${f.state}`] || f.state})` : ""),
    }[f.reason];
    const line = text ? text() : fill(t[`reason.${f.reason}`] || f.reason, { count: f.count ?? "", code: f.code ?? "" });
    const channel = f.channel ? `${t[`channel.${f.channel}`] || f.channel}: ` : "";
    const attempt = f.attempt ? ` (${fill(t["reason.attempt"], { attempt: f.attempt })})` : "";
    return `${channel}${line}${attempt}`;
  },
  entryText: (t, entry) => {
    const { actorText, reasonText } = window.sw;
    const detail = entry.facts ? reasonText(t, entry.facts) : entry.detail;
    return `${t[`kind.${entry.kind}`] || entry.kind}` +
      `${entry.recipient ? ` → ${t[`recipient.${entry.recipient}`] || entry.recipient}` : ""}` +
      ` · ${actorText(t, entry.actor)}${detail ? ` · ${detail}` : ""}`;
  },
  // What a camera could not deliver: in English the hub's own line with its technical
  // reasons; in other languages the count in words (the reasons stay in English and the API).
  undelivered: (t, d) =>
    document.documentElement.lang !== "en" && d.undelivered_count
      ? window.sw.fill(t["camera.undelivered"], { count: d.undelivered_count })
      : d.problem || "",
  // Relationships and protection orders as typed on a case: known values in the page's words.
  // A position's worth in words: "location uncertain: ±800 m from cell; also sent to the
  // home address" (empty when it can be trusted alone).
  doubtText: (t, loc) => {
    const { fill } = window.sw;
    const doubts = (loc && loc.doubts) || [];
    if (!doubts.length) return "";
    const source = t[`loc.source.${loc.source || "unknown"}`];
    const parts = [];
    if (doubts.includes("none")) parts.push(t["loc.none"]);
    if (doubts.includes("coarse")) {
      parts.push(loc.accuracy_m != null
        ? fill(t["loc.coarse"], { radius: Math.round(loc.accuracy_m), source })
        : t["loc.coarse_unknown"]);
    }
    if (doubts.includes("stale") && loc.fixed_at) {
      const seconds = Math.max(0, Math.round((Date.now() - Date.parse(loc.fixed_at)) / 1000));
      parts.push(fill(t["loc.stale"], { seconds }));
    }
    const places = (loc.also_at || []).map((p) => t[`loc.place.${p.kind}`]).join(", ");
    return `${t["loc.uncertain"]}: ${parts.join(", ")}` + (places ? `; ${fill(t["loc.also"], { places })}` : "");
  },
  relation: (t, value) => (value ? t[`relation.${value.trim().toLowerCase()}`] || value : ""),
  orderKind: (t, value) => (value ? t[`order.${value.trim().toLowerCase()}`] || value : ""),
};
