// Drafts and their unsent saves, kept in IndexedDB so nothing typed on a scaffold is lost when the
// signal goes. Every save is queued first and then sent; when the connection returns the queue is
// replayed in order, each request with its own Idempotency-Key (a retry after a lost answer is applied
// once) and the draft's version as If-Match (a save never silently overwrites a newer one).
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import { ApiError, OfflineError } from "../api/errors";

export interface LocalDraft {
  localId: string;
  serverId?: string;
  version?: number;
  projectId: string;
  templateId: string;
  title: string;
  validFrom: string;
  validTo: string;
  workStart?: string; // "08:00": the daily cycle's start and end, in the project's zone
  workEnd?: string;
  workAreaId?: string | null; // where the work is: required to submit
  formData: Record<string, unknown>;
  updatedAt: number;
  problems?: Record<string, string>; // the API's reasons for the last refused save, by field
}

export interface PendingSave {
  seq?: number;
  localId: string;
  kind: "create" | "save";
  body: Record<string, unknown>;
  idempotencyKey: string;
  queuedAt: number;
}

interface PermittoDB extends DBSchema {
  drafts: { key: string; value: LocalDraft };
  outbox: { key: number; value: PendingSave; indexes: { byDraft: string } };
  cache: { key: string; value: { key: string; value: unknown; at: number } };
}

/** How a queued save reaches the API: the real one in the app, a stand-in in unit tests. */
export interface Transport {
  create(body: Record<string, unknown>, key: string): Promise<{ id: string; version: number }>;
  save(id: string, version: number, body: Record<string, unknown>, key: string): Promise<{ version: number }>;
  currentVersion(id: string): Promise<number>;
}

let dbPromise: Promise<IDBPDatabase<PermittoDB>> | null = null;

export function database(name = "permitto"): Promise<IDBPDatabase<PermittoDB>> {
  dbPromise ??= openDB<PermittoDB>(name, 1, {
    upgrade(db) {
      db.createObjectStore("drafts", { keyPath: "localId" });
      const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      outbox.createIndex("byDraft", "localId");
      db.createObjectStore("cache", { keyPath: "key" });
    },
  });
  return dbPromise;
}

/** Close the open database (tests delete it between cases; a sign-out could too). */
export async function closeDatabase(): Promise<void> {
  const open = dbPromise;
  dbPromise = null;
  if (open) (await open).close();
}

type Listener = () => void;
const listeners = new Set<Listener>();
export function onOutboxChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function changed(): void {
  listeners.forEach((l) => l());
}

export async function getDraft(localId: string): Promise<LocalDraft | undefined> {
  return (await database()).get("drafts", localId);
}

export async function putDraft(draft: LocalDraft): Promise<void> {
  await (await database()).put("drafts", draft);
  changed();
}

export async function forgetDraft(localId: string): Promise<void> {
  const db = await database();
  const tx = db.transaction(["drafts", "outbox"], "readwrite");
  await tx.objectStore("drafts").delete(localId);
  for (const seq of await tx.objectStore("outbox").index("byDraft").getAllKeys(localId)) {
    await tx.objectStore("outbox").delete(seq);
  }
  await tx.done;
  changed();
}

export async function pending(localId?: string): Promise<PendingSave[]> {
  const db = await database();
  return localId ? db.getAllFromIndex("outbox", "byDraft", localId) : db.getAll("outbox");
}

/** Drafts with saves still waiting to be sent, newest first. */
export async function unsentDrafts(): Promise<LocalDraft[]> {
  const db = await database();
  const ids = new Set((await db.getAll("outbox")).map((op) => op.localId));
  const drafts = await Promise.all([...ids].map((id) => db.get("drafts", id)));
  return drafts.filter((d): d is LocalDraft => !!d).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Keep the draft's new values and queue them for sending. */
export async function queueSave(draft: LocalDraft, body: Record<string, unknown>, key: string): Promise<void> {
  const db = await database();
  const tx = db.transaction(["drafts", "outbox"], "readwrite");
  await tx.objectStore("drafts").put({ ...draft, updatedAt: Date.now() });
  const kind = draft.serverId || (await tx.objectStore("outbox").index("byDraft").count(draft.localId)) ? "save" : "create";
  await tx.objectStore("outbox").add({ localId: draft.localId, kind, body, idempotencyKey: key, queuedAt: Date.now() });
  await tx.done;
  changed();
}

export interface ReplayResult {
  sent: number;
  offline: boolean;
  refused: Record<string, ApiError>; // by draft: the save the API refused (its values stay in the draft)
}

let running: Promise<ReplayResult> | null = null;

/** Send every queued save, oldest first. One replay at a time; a call during one waits for it. */
export function replay(transport: Transport): Promise<ReplayResult> {
  running ??= replayOnce(transport).finally(() => { running = null; });
  return running;
}

async function replayOnce(transport: Transport): Promise<ReplayResult> {
  const db = await database();
  const result: ReplayResult = { sent: 0, offline: false, refused: {} };
  for (const op of await db.getAll("outbox")) {
    const draft = await db.get("drafts", op.localId);
    if (!draft) {
      await db.delete("outbox", op.seq!);
      continue;
    }
    try {
      if (op.kind === "create" && !draft.serverId) {
        const made = await transport.create(op.body, op.idempotencyKey);
        draft.serverId = made.id;
        draft.version = made.version;
      } else {
        if (!draft.serverId) continue; // its create is not through yet
        const body = { ...op.body };
        if (op.kind === "create") { // created already (the answer was lost): the same values as a save
          delete body.templateId;
          delete body.projectId;
        }
        draft.version = await saveWithRetry(transport, draft, body, op.idempotencyKey);
      }
      delete draft.problems;
      const tx = db.transaction(["drafts", "outbox"], "readwrite");
      await tx.objectStore("drafts").put(draft);
      await tx.objectStore("outbox").delete(op.seq!);
      await tx.done;
      result.sent += 1;
    } catch (error) {
      if (error instanceof OfflineError) {
        result.offline = true;
        break;
      }
      if (error instanceof ApiError && error.status >= 500) {
        result.offline = true; // the service is down, not the save wrong: try again later
        break;
      }
      if (error instanceof ApiError) {
        // Refused for what it says (a value out of range, a wrong state): sending it again cannot help. The
        // values stay in the local draft, with the API's reasons by field, for the user to mend and save.
        result.refused[op.localId] = error;
        const tx = db.transaction(["drafts", "outbox"], "readwrite");
        await tx.objectStore("drafts").put({ ...draft, problems: error.fieldMessages() });
        await tx.objectStore("outbox").delete(op.seq!);
        await tx.done;
        continue;
      }
      throw error;
    }
  }
  changed();
  return result;
}

async function saveWithRetry(transport: Transport, draft: LocalDraft, body: Record<string, unknown>,
  key: string): Promise<number> {
  try {
    return (await transport.save(draft.serverId!, draft.version ?? 1, body, key)).version;
  } catch (error) {
    // Saved elsewhere since (another tab, or a save whose answer was lost): this user's own draft, so
    // the queued values go on top of the newer version, field by field, as a save of a step always does.
    if (error instanceof ApiError && error.status === 412) {
      const version = await transport.currentVersion(draft.serverId!);
      return (await transport.save(draft.serverId!, version, body, key + ":" + version)).version;
    }
    throw error;
  }
}

export async function cachePut(key: string, value: unknown): Promise<void> {
  await (await database()).put("cache", { key, value, at: Date.now() });
}

export async function cacheGet<T>(key: string): Promise<T | undefined> {
  return (await (await database()).get("cache", key))?.value as T | undefined;
}
