// The typed API client. Types come from the gateway's merged OpenAPI document (schema.d.ts), so a
// change of the API breaks this build, not the user. The browser uses auth's cookie mode: tokens live in
// HttpOnly cookies that JavaScript never sees; unsafe requests repeat the CSRF cookie as a header. An
// expired access token is refreshed once, silently, and the request tried again.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { ApiError, OfflineError } from "./errors";

export type Schemas = components["schemas"];
export type Permit = Schemas["PermitOut"];
export type PermitSummary = Schemas["PermitSummary"];
export type Me = Schemas["MeOut"];
export type Project = Schemas["ProjectOut"];
export type Notification = Schemas["NotificationOut"];
export type FileInfo = Schemas["FileOut"];
export type Day = Schemas["DayOut"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type Template = Schemas["TemplateOut"];

const ACCESS_CSRF_COOKIE = "csrf_access_token";
const REFRESH_CSRF_COOKIE = "permitto_refresh_csrf";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
// Calls where a 401 means "wrong credentials", not "refresh and try again".
const NO_REFRESH = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/reset-password",
  "/api/v1/auth/forgot-password", "/api/v1/auth/logout"];

export function cookie(name: string): string {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

type SessionListener = (reason: "ended") => void;
const sessionListeners = new Set<SessionListener>();
export function onSessionEnded(listener: SessionListener): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, shared by every request that found its token expired. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Auth-Mode": "cookie",
          "X-CSRF-Token": cookie(REFRESH_CSRF_COOKIE) },
        body: "{}",
      });
      return response.ok;
    } catch {
      return false;
    } finally {
      setTimeout(() => { refreshing = null; }, 0);
    }
  })();
  return refreshing;
}

function prepared(request: Request): Request {
  const headers = new Headers(request.headers);
  headers.set("X-Auth-Mode", "cookie");
  if (UNSAFE.has(request.method)) headers.set("X-CSRF-TOKEN", cookie(ACCESS_CSRF_COOKIE));
  return new Request(request, { headers, credentials: "same-origin" });
}

/** The statuses whose answers have no body (a Response made with one throws). */
const NULL_BODY = new Set([204, 205, 304]);

/** A request while the phone knows it has no signal fails at once, and one in flight when the signal goes
 * is given up: with a service worker in between, such a fetch can hang instead of failing, and the outbox's
 * replay, which waits for it, would then never start again when the signal comes back. */
async function send(request: Request): Promise<Response> {
  if (!navigator.onLine) throw new OfflineError();
  const abort = new AbortController();
  const lost = () => abort.abort();
  window.addEventListener("offline", lost);
  try {
    const response = await fetch(request, { signal: abort.signal });
    // The body is read here too: a signal lost while it arrives is the same lost signal (an OfflineError),
    // not an AbortError from whoever reads it later.
    const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  } catch {
    throw new OfflineError();
  } finally {
    window.removeEventListener("offline", lost);
  }
}

export async function authedFetch(input: Request): Promise<Response> {
  const original = input.clone();
  const response = await send(prepared(input));
  const path = new URL(original.url).pathname;
  if (response.status !== 401 || NO_REFRESH.includes(path)) return response;
  if (!(await refreshSession())) {
    for (const listener of sessionListeners) listener("ended");
    return response;
  }
  return await send(prepared(original));
}

export const api = createClient<paths>({ baseUrl: "", fetch: authedFetch });

interface Answer<T> {
  data?: { data: T; meta?: Record<string, unknown> };
  error?: unknown;
  response: Response;
}

/** The data of a successful answer with the page's meta (cursor, counts); any error answer is thrown as
 * an ApiError with the API's words. */
export async function unwrapPage<T>(call: Promise<Answer<T>>): Promise<{ data: T; meta: Record<string, unknown> }> {
  const { data, error, response } = await call;
  if (error !== undefined || !data) throw ApiError.fromEnvelope(response.status, error);
  return { data: data.data, meta: data.meta ?? {} };
}

/** The data of a successful answer, as unwrapPage without the meta. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  return (await unwrapPage(call)).data;
}

export function newKey(): string {
  return crypto.randomUUID();
}
