// Administrators' screens: security notices (credential stuffing, refused camera events) as they happen.
"use strict";
(() => {
  const { t } = window.SAFEWATCH;
  const box = document.getElementById("security-alerts");
  const stream = new EventSource("/api/v1/stream", { withCredentials: true });
  // common.js loads after this script on the staff pages: sw is there once the page is.
  document.addEventListener("DOMContentLoaded", () => window.sw.onEnded(stream));
  stream.addEventListener("security", (e) => {
    const notice = JSON.parse(e.data);
    const line = document.createElement("p");
    const words = { address: notice.address, count: notice.count, reference: notice.reference, reasons: (notice.reasons || []).join("; ") };
    line.textContent = (t[`security.${notice.what}`] || notice.what).replace(
      /\{(\w+)\}/g, (whole, key) => (words[key] ?? whole));
    box.append(line);
    box.hidden = false;
  });
})();
