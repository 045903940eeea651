// The support centre's fund: report for a period (amounts in won), the ledger, new entries.
"use strict";
(() => {
  const { lang, t } = window.SAFEWATCH;
  const { $, api, rows } = window.sw;
  const { day, krw } = window.sw.format(lang);
  let cases = new Map();

  // The period chosen (both days included); empty: all dates.
  const period = () => {
    const q = new URLSearchParams();
    if ($("from").value) q.set("period_from", $("from").value);
    if ($("to").value) q.set("period_to", $("to").value);
    return q;
  };
  const periodText = () => ($("from").value || $("to").value ? `${day($("from").value)} – ${day($("to").value)}` : t.whole_period);

  async function report() {
    const r = await api(`/fund/report?${period()}`);
    if (!r.ok) return;
    const data = await r.json();
    $("r-donations").textContent = krw(data.donations_krw);
    $("r-expenditures").textContent = krw(data.expenditures_krw);
    $("r-balance").textContent = krw(data.balance_krw);
    rows($("by-category").tBodies[0], data.by_category.map((c) => [t[`category.${c.category}`], krw(c.amount_krw), String(c.entries)]));
    rows($("by-case").tBodies[0], data.by_case.map((c) => [c.case_reference || t.no_case, krw(c.amount_krw), String(c.entries)]));
  }

  // Every entry of the period, page by page.
  async function entries() {
    const all = [];
    for (let page = 1; ; page++) {
      const r = await api(`/fund/entries?size=200&page=${page}&${period()}`);
      if (!r.ok) return all;
      const data = await r.json();
      all.push(...data.items);
      if (all.length >= data.total || !data.items.length) return all;
    }
  }
  const caseRef = (e) => (e.case_id && cases.has(e.case_id) ? cases.get(e.case_id).reference : "");

  async function ledger() {
    rows($("ledger").tBodies[0], (await entries()).map((e) => [
      day(e.on_date), t[`entry.${e.kind}`], (e.kind === "expenditure" ? "−" : "") + krw(e.amount_krw),
      e.kind === "donation" ? e.donor : t[`category.${e.category}`], caseRef(e) || "—", e.description,
    ]));
    $("report-title").textContent = `${t.fund_report} · ${t.period}: ${periodText()}`;
  }

  // The period's ledger as CSV (UTF-8 with its mark, so a spreadsheet reads the Korean),
  // amounts as plain won, spending negative.
  async function exportCsv() {
    const cell = (v) => `"${String(v ?? "").replaceAll('"', '""')}"`;
    const head = [t.date, t.kind, t.amount_krw, t.donor, t.category, t.case, t.description];
    const lines = (await entries()).map((e) => [e.on_date, t[`entry.${e.kind}`],
      e.kind === "expenditure" ? -e.amount_krw : e.amount_krw, e.donor || "",
      e.category ? t[`category.${e.category}`] : "", caseRef(e), e.description]);
    const text = [head, ...lines].map((l) => l.map(cell).join(",")).join("\r\n");
    const link = Object.assign(document.createElement("a"), {
      href: URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" })),
      download: `fund-${$("from").value || "start"}-${$("to").value || "today"}.csv`,
    });
    document.body.append(link);
    link.click();
    link.remove();
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

  $("period").addEventListener("submit", (e) => { e.preventDefault(); report(); ledger(); });
  $("export-csv").addEventListener("click", exportCsv);
  $("print-report").addEventListener("click", async () => { await Promise.all([report(), ledger()]); window.print(); });
  $("donation").addEventListener("submit", (e) => record(e, "/fund/donations"));
  $("expenditure").addEventListener("submit", (e) => record(e, "/fund/expenditures"));
  api("/cases?size=200").then(async (r) => {
    if (r.ok) cases = new Map((await r.json()).items.map((c) => [c.id, c]));
    $("case-choice").append(...[...cases.values()].map((c) => new Option(`${c.reference} ${c.person_name}`, c.id)));
    ledger();
  });
  report();
})();
