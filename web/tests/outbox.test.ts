// The offline queue against a stand-in transport (the server is not part of a unit test): order, one
// create per draft, If-Match versions, a lost answer retried with the same key, refusals kept for the user.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError, OfflineError } from "../src/api/errors";
import { getDraft, pending, queueSave, replay, closeDatabase, unsentDrafts, type LocalDraft, type Transport } from "../src/lib/outbox";

interface Call { kind: string; id?: string; version?: number; body: Record<string, unknown>; key: string }

class StandIn implements Transport {
  calls: Call[] = [];
  version = new Map<string, number>();
  seenKeys = new Set<string>();
  offline = false;
  refuse: ApiError | null = null;
  conflictOnce = false;

  async create(body: Record<string, unknown>, key: string) {
    if (this.offline) throw new OfflineError();
    this.calls.push({ kind: "create", body, key });
    this.version.set("srv-1", 1);
    return { id: "srv-1", version: 1 };
  }

  async save(id: string, version: number, body: Record<string, unknown>, key: string) {
    if (this.offline) throw new OfflineError();
    if (this.refuse) throw this.refuse;
    if (this.conflictOnce) {
      this.conflictOnce = false;
      this.version.set(id, (this.version.get(id) ?? 1) + 1);
      throw new ApiError(412, "PRECONDITION_FAILED", "changed meanwhile");
    }
    if (version !== this.version.get(id)) throw new ApiError(412, "PRECONDITION_FAILED", "stale");
    this.calls.push({ kind: "save", id, version, body, key });
    this.version.set(id, version + 1);
    return { version: version + 1 };
  }

  async currentVersion(id: string) {
    return this.version.get(id) ?? 1;
  }
}

function draft(): LocalDraft {
  return { localId: "local-1", projectId: "p", templateId: "t", title: "Weld", validFrom: "2027-01-01T08:00",
    validTo: "2027-01-02T17:00", formData: {}, updatedAt: 0 };
}

beforeEach(async () => {
  await closeDatabase();
  await new Promise((done) => { indexedDB.deleteDatabase("permitto").onsuccess = done; });
});

describe("the outbox", () => {
  it("keeps saves made offline and sends them in order once, when back online", async () => {
    const server = new StandIn();
    server.offline = true;
    await queueSave(draft(), { title: "Weld", formData: {} }, "k1");
    await queueSave(draft(), { formData: { location: "L3" } }, "k2");
    expect((await replay(server)).offline).toBe(true);
    expect(await pending("local-1")).toHaveLength(2);
    expect((await unsentDrafts()).map((d) => d.localId)).toEqual(["local-1"]);

    server.offline = false;
    const result = await replay(server);
    expect(result).toMatchObject({ sent: 2, offline: false });
    expect(server.calls.map((c) => [c.kind, c.key, c.version])).toEqual([["create", "k1", undefined], ["save", "k2", 1]]);
    expect(await pending()).toHaveLength(0);
    expect(await getDraft("local-1")).toMatchObject({ serverId: "srv-1", version: 2 });
    expect(await replay(server)).toMatchObject({ sent: 0 });
    expect(server.calls).toHaveLength(2);
  });

  it("puts a save on top of a version changed meanwhile, with a new key for the new version", async () => {
    const server = new StandIn();
    await queueSave(draft(), { formData: {} }, "k1");
    await replay(server);
    server.conflictOnce = true;
    await queueSave({ ...draft(), serverId: "srv-1", version: 1 }, { formData: { workers: 2 } }, "k2");
    expect((await replay(server)).sent).toBe(1);
    expect(server.calls.at(-1)).toMatchObject({ kind: "save", version: 2, key: "k2:2" });
  });

  it("drops a refused save but keeps its values and the API's reasons for the user", async () => {
    const server = new StandIn();
    await queueSave(draft(), { formData: {} }, "k1");
    await replay(server);
    server.refuse = new ApiError(422, "VALIDATION_ERROR", "The request is not valid.",
      [{ field: "formData.workers", message: "Number of workers: must be at most 100" }]);
    const values = { ...draft(), serverId: "srv-1", version: 1, formData: { workers: 500 } };
    await queueSave(values, { formData: { workers: 500 } }, "k2");
    const result = await replay(server);
    expect(result.refused["local-1"]?.status).toBe(422);
    expect(await pending()).toHaveLength(0);
    const kept = await getDraft("local-1");
    expect(kept?.formData).toEqual({ workers: 500 });
    expect(kept?.problems?.workers).toBe("Number of workers: must be at most 100");
  });

  it("stops at a server error and keeps the queue for later", async () => {
    const server = new StandIn();
    server.refuse = new ApiError(503, "SERVICE_UNAVAILABLE", "The permits service is failing.");
    await queueSave(draft(), { formData: {} }, "k1");
    await replay(server);
    await queueSave({ ...draft(), serverId: "srv-1", version: 1 }, { formData: { a: 1 } }, "k2");
    expect((await replay(server)).offline).toBe(true);
    expect(await pending()).toHaveLength(1);
  });
});
