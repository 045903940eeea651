// The support centre's fund: report for a period (amounts in won), the ledger, new entries.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api, rows } = window.sw;
  const { day, krw } = window.sw.format(lang);
  let cases = new Map();

  async function report() {
    const q = new URLSearchParams();
    if ($("from").value) q.set("period_from", $("from").value);
    if ($("to").value) q.set("period_to", $("to").value);
    const r = await api(`/fund/report?${q}`);
    if (!r.ok) return;
    const data = await r.json();
    $("r-donations").textContent = krw(data.donations_krw);
    $("r-expenditures").textContent = krw(data.expenditures_krw);
    $("r-balance").textContent = krw(data.balance_krw);
    rows($("by-category").tBodies[0], data.by_category.map((c) => [t[`category.${c.category}`], krw(c.amount_krw), String(c.entries)]));
    rows($("by-case").tBodies[0], data.by_case.map((c) => [c.case_reference || t.no_case, krw(c.amount_krw), String(c.entries)]));
  }

  async function ledger() {
    const r = await api("/fund/entries?size=100");
    if (!r.ok) return;
    rows($("ledger").tBodies[0], (await r.json()).items.map((e) => [
      day(e.on_date), t[`entry.${e.kind}`], (e.kind === "expenditure" ? "−" : "") + krw(e.amount_krw),
      e.kind === "donation" ? e.donor : t[`category.${e.category}`],
      e.case_id && cases.has(e.case_id) ? cases.get(e.case_id).reference : "—", e.description,
    ]));
  }

  async function record(event, path) {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(event.target));
    body.amount_krw = Number(body.amount_krw);
    if (!body.case_id) delete body.case_id;
    const r = await api(path, { method: "POST", body: JSON.stringify(body) });
    const result = await r.json();
    $("entry-result").textContent = r.ok ? `${t.saved} ${krw(result.amount_krw)}` : result.detail;
    $("entry-result").className = r.ok ? "" : "error";
    if (r.ok) { event.target.reset(); report(); ledger(); }
  }

  $("period").addEventListener("submit", (e) => { e.preventDefault(); report(); });
  $("donation").addEventListener("submit", (e) => record(e, "/fund/donations"));
  $("expenditure").addEventListener("submit", (e) => record(e, "/fund/expenditures"));
  api("/cases?size=200").then(async (r) => {
    if (r.ok) cases = new Map((await r.json()).items.map((c) => [c.id, c]));
    $("case-choice").append(...[...cases.values()].map((c) => new Option(`${c.reference} ${c.person_name}`, c.id)));
    ledger();
  });
  report();
})();
