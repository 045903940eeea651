// Shared by the officers', caseworkers' and administrators' pages: a device's condition in
// one wording for every screen, small element and form helpers, and a steady refresh.
"use strict";
window.swStaff = (() => {
  const { api } = window.sw;
  const element = (tag, props = {}, ...children) => {
    const el = Object.assign(document.createElement(tag), props);
    el.append(...children);
    return el;
  };
  // One rule (the hub's): offline while a camera-offline incident is open or it is silent;
  // an issued device never heard from is not working yet, whatever was handed over.
  const condition = (t, d) => {
    const state = d.condition || d.state;
    if (!state) return "";
    if (state === "never seen" && (d.status === undefined || d.status === "assigned")) return t.never_connected;
    const word = t[`state.${state}`] || state;
    return state === "offline" && d.offline_incident ? `${word} · ${t.outage_open} ${d.offline_incident}` : word;
  };
  // A small form: labelled fields, a submit button, a status line; onSubmit gets the values
  // and returns [ok, message].
  const form = (className, fields, button, onSubmit) => {
    const f = element("form", { className: `inline ${className}` });
    const status = element("p", { role: "status" });
    for (const spec of fields) {
      const input = element(spec.tag || "input", { name: spec.name, ...spec.props });
      if (spec.options) input.append(...spec.options.map(([value, text]) => new Option(text, value)));
      f.append(element("label", {}, `${spec.label} `, input));
    }
    f.append(element("button", { type: "submit", textContent: button }), status);
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [ok, message] = await onSubmit(Object.fromEntries(new FormData(f)));
      if (ok) f.reset();
      status.className = ok ? "" : "error";
      status.textContent = message || "";
    });
    return f;
  };
  // The API's answer as [ok, what to say]: its detail when refused.
  const send = async (path, method, body) => {
    const r = await api(path, { method, body: JSON.stringify(body) });
    const out = await r.json().catch(() => ({}));
    return [r.ok, r.ok ? out : (typeof out.detail === "string" ? out.detail : JSON.stringify(out.detail || r.status))];
  };
  // Redraw every `seconds` while the page is shown, and at once when it is shown again.
  const every = (seconds, draw) => {
    setInterval(() => { if (!document.hidden) draw(); }, seconds * 1000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) draw(); });
  };
  return { element, condition, form, send, every };
})();
