/// <reference lib="webworker" />
// The service worker: the app shell precached (so it opens with no signal), every screen path answered
// with index.html, API calls never cached (the server is the truth), and Web Push shown and opened.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL("/app/index.html"), { allowlist: [/^\/app(\/|$)/] }));

self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});

interface PushMessage { id?: string; title?: string; body?: string; link?: string | null; permitId?: string | null }

function target(message: PushMessage): string {
  if (message.permitId) return `/app/permits/${message.permitId}`;
  try {
    return message.link ? new URL(message.link).pathname : "/app/notifications";
  } catch {
    return "/app/notifications";
  }
}

self.addEventListener("push", (event) => {
  let message: PushMessage;
  try {
    message = (event.data?.json() ?? {}) as PushMessage;
  } catch {
    message = { title: "Permitto", body: event.data?.text() ?? "" };
  }
  event.waitUntil(self.registration.showNotification(message.title ?? "Permitto", {
    body: message.body ?? "",
    tag: message.id ?? "permitto",
    icon: "/app/icons/icon-192.png",
    badge: "/app/icons/icon-192.png",
    data: { url: target(message) },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | null)?.url ?? "/app/";
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => new URL(w.url).pathname.startsWith("/app"));
    if (open) {
      await open.focus();
      open.postMessage({ type: "open", url });
      return;
    }
    await self.clients.openWindow(url);
  })());
});
