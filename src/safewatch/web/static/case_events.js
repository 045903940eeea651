// What the cameras raised, as the victim and guards saw it (bystanders' faces blurred);
// pictures open on request (each viewing is audited), the unblurred original for police
// only, with a reason.
"use strict";
(() => {
  const { lang, t, caseId, role } = window.SAFEWATCH;
  const { $, api, item } = window.sw;
  const { element } = window.swStaff;
  const { moment } = window.sw.format(lang);

  async function cameraEvents() {
    const r = await api(`/cases/${caseId}/events?size=20`);
    if (!r.ok) return;
    const items = (await r.json()).items.map((e) => {
      const li = item(`${moment(e.occurred_at)} · ${t[`type.${e.type}`] || e.type} · ${e.camera}` +
        `${e.zone ? ` · ${e.zone}` : ""}${e.faces_blurred ? ` · ${t.faces_blurred}` : ""}`);
      li.dataset.event = e.id;
      const media = element("div", { className: "media" });
      const show = (label, make) => {
        const button = element("button", { type: "button", textContent: label });
        button.addEventListener("click", () => { media.append(make()); button.remove(); });
        li.append(" ", button);
      };
      if (e.has_snapshot) show(t.show_snapshot, () => element("img", { src: `/api/v1/events/${e.id}/snapshot`, alt: t.show_snapshot }));
      if (e.has_clip) show(t.show_clip, () => element("video", { src: `/api/v1/events/${e.id}/clip`, controls: true, muted: true }));
      if (role === "officer" && e.faces_blurred) li.append(originalForm(e.id, media));
      li.append(media);
      return li;
    });
    $("c-events").replaceChildren(...(items.length ? items : [item(t.none_yet)]));
  }

  function originalForm(eventId, media) {
    const form = element("form", { className: "original" });
    const reason = element("input", { name: "reason", required: true, minLength: 3, maxLength: 200 });
    const label = element("label", { textContent: `${t.original_reason} ` });
    label.append(reason);
    const status = element("p", { role: "status" });
    form.append(label, element("button", { type: "submit", textContent: t.open_original }), status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const r = await api(`/events/${eventId}/originals`, { method: "POST", body: JSON.stringify({ reason: reason.value }) });
      const out = await r.json().catch(() => ({}));
      status.className = r.ok ? "" : "error";
      status.textContent = r.ok ? t.original_opened : (out.detail || r.status);
      if (!r.ok) return;
      if (out.snapshot_url) media.append(element("img", { src: out.snapshot_url, alt: t.open_original, className: "original" }));
      if (out.clip_url) media.append(element("video", { src: out.clip_url, controls: true, muted: true, className: "original" }));
    });
    return form;
  }

  cameraEvents();
})();
