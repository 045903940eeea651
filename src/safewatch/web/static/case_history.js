// The case's history in words a person reads: what changed it first, viewings summarised
// (one line: how many, the last one) and listed only on request.
"use strict";
(() => {
  const { lang, t, caseId } = window.SAFEWATCH;
  const { $, api, item } = window.sw;
  const { moment } = window.sw.format(lang);
  const who = (e) => (e.actor_name ? `${e.actor_name} (${t[`role.${e.actor_role}`] || e.actor_role})` : t[`role.${e.actor_role}`] || e.actor_role);
  const measure = (k) => t[`measure.${k}`] || k;
  // The trail's reasons are the hub's own short English; the usual ones are said here.
  const PATTERNS = [
    [/^(\w+) → (required|in_place|ended)$/, (m) => `${measure(m[1])} → ${t[`status.${m[2]}`]}`],
    [/^(\w+) added$/, (m) => `${measure(m[1])} ${t["action.create"]}`],
    [/^assigned (\S+)$/, (m) => `${m[1]} ${t.device_issued}`],
    [/^(\S+) → (in_stock|faulty|retired)$/, (m) => `${m[1]} → ${t[`device_status.${m[2]}`]}`],
    [/^stay extended from (\S+) to (\S+)$/, (m) => `${t.extend}: ${m[1]} → ${m[2]}`],
    [/^checked out after (\d+) nights$/, (m) => `${t.do_check_out} (${m[1]} ${t.nights})`],
    [/^step (\w+)$/, (m) => `${t.step_title}: ${t[`relocation_step.${m[1]}`] || m[1]}`],
  ];
  function said(e) {
    const [purpose, ...stated] = e.reason.split(": ");
    let text = t[`said.${purpose}`];
    for (const [re, say] of PATTERNS) {
      const m = re.exec(purpose);
      if (!text && m) text = say(m);
    }
    text = text || purpose;
    return stated.length ? `${text}: ${stated.join(": ")}` : text;
  }
  // A change to a part of the case also marks the case changed (the same moment, the same
  // person): the part's own line says it better.
  const echo = (e, newer) => e.entity === "case" && e.action === "update" && newer &&
    newer.seq === e.seq + 1 && newer.actor_id === e.actor_id;

  async function history() {
    const views = $("show-views").checked;
    const [changes, viewings] = await Promise.all([
      api(`/cases/${caseId}/audit?size=40${views ? "" : "&changes=true"}`),
      api(`/cases/${caseId}/audit?action=read&size=1`),
    ]);
    if (changes.ok) {
      const items = (await changes.json()).items;
      const lines = items.filter((e, i) => !echo(e, items[i - 1])).map((e) => {
        const li = item(`${moment(e.at)} · ${who(e)} · ${t[`action.${e.action}`] || e.action} ` +
          `${t[`entity.${e.entity}`] || e.entity.replaceAll("_", " ")} — ${said(e)}`);
        li.dataset.action = e.action;
        return li;
      });
      $("c-audit").replaceChildren(...(lines.length ? lines : [item(t.none_yet)]));
    }
    if (viewings.ok) {
      const v = await viewings.json();
      const last = v.items[0];
      $("c-views").textContent = `${t.views_summary} ${v.total} ${t.times}` +
        (last ? ` · ${t.last_view}: ${who(last)}, ${moment(last.at)}` : "");
    }
  }
  $("show-views").addEventListener("change", history);
  document.addEventListener("case:changed", history);
  history();
})();
