// Officers' and caseworkers' case list.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api } = window.sw;
  const { day } = window.sw.format(lang);
  const level = (l) => t[`level.${l || "none"}`];

  async function caseList() {
    const r = await api("/cases?size=200");
    if (!r.ok) return;
    const rows = (await r.json()).items.map((c) => {
      const tr = document.createElement("tr");
      const link = Object.assign(document.createElement("a"), { href: `/cases/${c.id}`, textContent: c.reference });
      const cells = [link, c.person_name, level(c.risk_level), day(c.review_due_on), c.reassessment_due || ""];
      for (const value of cells) {
        const td = document.createElement("td");
        td.append(value);
        tr.append(td);
      }
      return tr;
    });
    $("cases").tBodies[0].replaceChildren(...rows);
  }
  caseList();
})();
