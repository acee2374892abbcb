// The outbox's transport to the real API, and the replay the app runs when it comes back online.
import { api, unwrap } from "../api/client";
import { onOutboxChange, replay, type ReplayResult, type Transport } from "./outbox";

export const apiTransport: Transport = {
  async create(body, key) {
    const made = await unwrap(api.POST("/api/v1/permits", {
      body: body as never, headers: { "Idempotency-Key": key },
    }));
    return { id: made.id, version: made.version };
  },
  async save(id, version, body, key) {
    const saved = await unwrap(api.PATCH("/api/v1/permits/{permit_id}", {
      params: { path: { permit_id: id } }, body: body as never,
      headers: { "Idempotency-Key": key, "If-Match": `"${version}"` },
    }));
    return { version: saved.version };
  },
  async currentVersion(id) {
    return (await unwrap(api.GET("/api/v1/permits/{permit_id}", { params: { path: { permit_id: id } } }))).version;
  },
};

export function sync(): Promise<ReplayResult> {
  return replay(apiTransport);
}

// A browser can say it is online with no connection at all (a dead signal, a captive portal; Chromium also
// says so after a reload with no network), and then no 'online' event ever comes.
const RETRY_OFFLINE_MS = 10_000;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

async function syncUntilSent(): Promise<void> {
  clearTimeout(retryTimer);
  const result = await sync().catch(() => undefined);
  if (result?.offline) retryTimer = setTimeout(() => void syncUntilSent(), RETRY_OFFLINE_MS);
}

/** Replay whenever the browser says it is online again, once at start, and every 10 s after a replay
 * that found no connection, until the outbox is sent. */
export function startSync(): void {
  window.addEventListener("online", () => void syncUntilSent());
  void syncUntilSent();
}

export { onOutboxChange };
