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
  // What an incident is and what a timeline entry says, in the page's words: every screen
  // words them here, so a sentence is translated once for all.
  describe: (t, incident) => incident.summary,
  entryText: (t, entry) =>
    `${t[`kind.${entry.kind}`] || entry.kind}${entry.recipient ? ` → ${entry.recipient}` : ""} · ${entry.actor}` +
    `${entry.detail ? ` · ${entry.detail}` : ""}`,
};
