// The officer's risk checklist: the last saved assessment shown again (its answers ticked, its
// suggestion and decision, when and why), the suggestion redrawn as answers change.
"use strict";
(() => {
  const { lang, t, caseId } = window.SAFEWATCH;
  const { $, api } = window.sw;
  const { moment } = window.sw.format(lang);
  const level = (l) => t[`level.${l || "none"}`];
  const form = $("assess");
  if (!form || form.closest("[hidden]")) return;  // caseworkers do not assess
  let questions = [];
  const box = (key) => form.querySelector(`input[name="${key}"]`);
  const answers = () => Object.fromEntries(questions.map((q) => [q.key, box(q.key).checked]));

  async function build() {
    const [checklist, saved] = await Promise.all([api("/risk/checklist"), api(`/cases/${caseId}/assessments`)]);
    if (!checklist.ok) return;
    questions = await checklist.json();
    $("questions").replaceChildren(...questions.map((q) => {
      const label = document.createElement("label");
      const input = Object.assign(document.createElement("input"), { type: "checkbox", name: q.key });
      input.addEventListener("change", () => suggest(true));
      label.append(input, ` ${lang === "ko" ? q.text_ko : q.text_en}`);
      return label;
    }));
    const last = saved.ok ? (await saved.json())[0] : null;
    shown(last);
    if (last) {
      for (const q of questions) box(q.key).checked = Boolean(last.answers[q.key]);
      $("decided").value = last.decided_level;
      $("override").value = last.override_reason || "";
    }
    await suggest(!last);
  }

  // The last saved assessment in one paragraph: when, what it suggested, what was decided.
  function shown(a) {
    const out = $("last-assessment");
    if (!a) { out.textContent = t.no_assessment; return; }
    const yes = questions.filter((q) => a.answers[q.key]).map((q) => (lang === "ko" ? q.text_ko : q.text_en));
    out.textContent = `${t.last_assessment}: ${moment(a.created_at)} · ${t.suggested_was} ${level(a.suggested_level)} ` +
      `(${t.score} ${a.score}) · ${t.decided_was} ${level(a.decided_level)}` +
      (a.override_reason ? ` · ${t.reason_was}: ${a.override_reason}` : "") +
      ` · ${t.answers_yes}: ${yes.length ? yes.join("; ") : t.none_yet}`;
    out.dataset.level = a.decided_level;
  }

  async function suggest(follow) {
    const r = await api("/risk/suggestion", { method: "POST", body: JSON.stringify({ answers: answers() }) });
    if (!r.ok) return;
    const s = await r.json();
    $("suggested").textContent = `${level(s.level)} (${t.score} ${s.score})`;
    $("suggested").dataset.level = s.level;
    if (follow) $("decided").value = s.level;  // a changed answer proposes its level again
  }

  async function save(event) {
    event.preventDefault();
    const body = { answers: answers(), decided_level: $("decided").value };
    if ($("override").value.trim()) body.override_reason = $("override").value.trim();
    const r = await api(`/cases/${caseId}/assessments`, { method: "POST", body: JSON.stringify(body) });
    const result = await r.json();
    $("assess-result").textContent = r.ok ? t.saved : result.detail;
    $("assess-result").className = r.ok ? "" : "error";
    if (!r.ok) return;
    shown(result.assessment);
    document.dispatchEvent(new Event("case:changed"));
  }

  form.addEventListener("submit", save);
  build();
})();
