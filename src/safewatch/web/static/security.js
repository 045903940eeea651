// Administrators' screens: security notices (credential stuffing) as they happen.
"use strict";
(() => {
  const { t } = window.SAFEWATCH;
  const box = document.getElementById("security-alerts");
  const stream = new EventSource("/api/v1/stream", { withCredentials: true });
  stream.addEventListener("security", (e) => {
    const notice = JSON.parse(e.data);
    const line = document.createElement("p");
    line.textContent = (t[`security.${notice.what}`] || notice.what).replace("{address}", notice.address);
    box.append(line);
    box.hidden = false;
  });
})();
