// The bell's count and the live stream: one EventSource through the gateway (cookies go with it, same
// origin). The browser reconnects by itself and sends Last-Event-ID, so nothing said while away is lost.
import { useEffect, useState } from "preact/hooks";
import { api, unwrapPage, type Notification } from "../api/client";

export interface Live {
  unread: number;
}

type Listener = (n: Partial<Notification>) => void;
const listeners = new Set<Listener>();
export function onNotification(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLive(signedIn: boolean): Live {
  const [unread, setUnread] = useState(0);
  const refresh = () => {
    void unwrapPage(api.GET("/api/v1/notifications", { params: { query: { limit: 1, unread: true } } }))
      .then((page) => setUnread(Number(page.meta.unread ?? page.meta.total ?? 0))).catch(() => undefined);
  };
  useEffect(() => {
    if (!signedIn) return;
    refresh();
    const source = new EventSource("/api/v1/notifications/stream", { withCredentials: true });
    source.addEventListener("notification", (event) => {
      const item = JSON.parse((event as MessageEvent<string>).data) as Notification;
      refresh();
      listeners.forEach((l) => l(item));
      // Screens showing this permit reload it: its state or actions have changed.
      window.dispatchEvent(new CustomEvent("permitto:changed", { detail: item.permitId }));
    });
    // Coordinators' and administrators' streams also carry every permit's changes, for the live board.
    source.addEventListener("board", (event) => {
      window.dispatchEvent(new CustomEvent("permitto:board", { detail: JSON.parse((event as MessageEvent<string>).data) }));
    });
    const again = () => refresh();
    window.addEventListener("permitto:read", again);
    return () => { source.close(); window.removeEventListener("permitto:read", again); };
  }, [signedIn]);
  return { unread };
}
