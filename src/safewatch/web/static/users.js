// The administrator's accounts: every user with role, agency and whether they may sign in;
// an account added, disabled or enabled again, given another role (with the agency the role
// needs: a police station for an officer, a support centre for a caseworker, …).
"use strict";
(() => {
  const { t } = window.SAFEWATCH;
  const { $, api, rows } = window.sw;
  const { element, send } = window.swStaff;
  const AGENCY_OF = { officer: "police_station", caseworker: "support_centre", security_operator: "security_company", dispatcher: "emergency_centre" };
  const ROLES = ["officer", "caseworker", "security_operator", "dispatcher", "protected_person", "admin"];
  let agencies = [];

  // The agencies a role may belong to ("no agency" for an administrator or a protected person).
  const agencyOptions = (select, role, current) => {
    const kind = AGENCY_OF[role];
    const fitting = agencies.filter((a) => a.kind === kind);
    select.replaceChildren(...(kind ? fitting.map((a) => new Option(a.name, a.id, false, a.id === current)) : [new Option(t.no_agency, "")]));
  };

  function say(ok, text) {
    $("user-result").className = ok ? "" : "error";
    $("user-result").textContent = text;
  }

  function actions(u) {
    const toggle = element("button", { type: "button", textContent: u.active ? t.disable : t.enable });
    toggle.setAttribute("aria-label", `${u.active ? t.disable : t.enable}: ${u.username}`);
    toggle.addEventListener("click", async () => {
      const [ok, out] = await send(`/users/${u.id}`, "PATCH", { active: !u.active });
      say(ok, ok ? `${t.user_changed}: ${u.username} · ${out.active ? t.active : t.disabled}` : out);
      if (ok) load();
    });
    const role = element("select", { name: "role" });
    role.append(...ROLES.map((r) => new Option(t[`role.${r}`], r, false, r === u.role)));
    role.setAttribute("aria-label", `${t.new_role}: ${u.username}`);
    const agency = element("select", { name: "agency_id" });
    agency.setAttribute("aria-label", `${t.new_agency}: ${u.username}`);
    agencyOptions(agency, u.role, u.agency_id);
    role.addEventListener("change", () => agencyOptions(agency, role.value, u.agency_id));
    const change = element("button", { type: "submit", textContent: t.change_role });
    const f = element("form", { className: "inline role" }, role, " ", agency, " ", change);
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [ok, out] = await send(`/users/${u.id}`, "PATCH", { role: role.value, agency_id: agency.value || null });
      say(ok, ok ? `${t.user_changed}: ${u.username} · ${t[`role.${out.role}`]}` : out);
      if (ok) load();
    });
    return element("div", { className: "user-actions" }, toggle, " ", f);
  }

  async function load() {
    const all = [];
    for (let page = 1; ; page++) {
      const r = await api(`/users?size=200&page=${page}`);
      if (!r.ok) return;
      const data = await r.json();
      all.push(...data.items);
      if (all.length >= data.total || !data.items.length) break;
    }
    const names = new Map(agencies.map((a) => [a.id, a.name]));
    $("user-count").textContent = String(all.length);
    rows($("users").tBodies[0], all.map((u) => [u.username, u.full_name, t[`role.${u.role}`] || u.role,
      u.agency_id ? names.get(u.agency_id) || "—" : "—", u.active ? t.active : t.disabled, actions(u)]));
    for (const [i, tr] of [...$("users").tBodies[0].rows].entries()) tr.dataset.active = String(all[i].active);
  }

  $("new-role").addEventListener("change", () => agencyOptions($("new-agency"), $("new-role").value));
  $("new-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(event.target));
    if (!body.agency_id) body.agency_id = null;
    const [ok, out] = await send("/users", "POST", body);
    $("new-user-result").className = ok ? "" : "error";
    $("new-user-result").textContent = ok ? `${t.user_created}: ${out.username}` : out;
    if (!ok) return;
    event.target.reset();
    agencyOptions($("new-agency"), $("new-role").value);
    load();
  });

  api("/agencies").then(async (r) => {
    agencies = r.ok ? await r.json() : [];
    agencyOptions($("new-agency"), $("new-role").value);
    load();
  });
})();
