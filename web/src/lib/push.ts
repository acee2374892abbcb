// Web Push: this browser subscribes with the server's VAPID key; the service worker shows each push.
import { api, unwrap } from "../api/client";

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** iOS Safari shows pushes only to an app added to the Home Screen. */
export function needsHomeScreen(): boolean {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent);
  const standalone = window.matchMedia("(display-mode: standalone)").matches
    || (navigator as Navigator & { standalone?: boolean }).standalone === true;
  return ios && !standalone;
}

export async function enablePush(): Promise<void> {
  if (!pushSupported()) throw new Error("This browser cannot receive push notifications.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site in the browser's settings.");
  const { publicKey } = await unwrap(api.GET("/api/v1/notifications/push/public-key"));
  const registration = await navigator.serviceWorker.ready;
  let subscription: PushSubscription;
  try {
    subscription = await registration.pushManager.getSubscription()
      ?? await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`This browser could not turn on push notifications (${why}). Private windows cannot `
      + "receive them: use a normal window or the app added to the Home Screen.", { cause: error });
  }
  const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
  await unwrap(api.POST("/api/v1/notifications/push-subscriptions", { body: { endpoint: json.endpoint, keys: json.keys } }));
  await unwrap(api.PATCH("/api/v1/notifications/preferences", { body: { pushEnabled: true } }));
}
