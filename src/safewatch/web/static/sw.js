// Lock-screen notifications for the protected person's app. The push carries no names or
// places (the lock screen may be seen by anyone); tapping opens the app.
self.addEventListener("push", (event) => {
  const data = event.data ? event.data.json() : { title: "Safewatch", body: "" };
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body, tag: data.incident_id, renotify: true, requireInteraction: true,
    vibrate: [400, 200, 400],
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow("/app"));
});
