// Shared by every screen: the API with the session cookie and the app header (which a
// forged cross-site form cannot send), and element lookup.
"use strict";
window.sw = {
  $: (id) => document.getElementById(id),
  api: (path, options = {}) =>
    fetch(`/api/v1${path}`, {
      credentials: "same-origin",
      ...options,
      headers: { "X-Safewatch-App": "1", "Content-Type": "application/json", ...(options.headers || {}) },
    }),
};
