// Who is signed in, and the project they are working in. The last answer is kept so the app opens
// with no connection; the server stays the judge of every action.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { api, cookie, unwrap, type Me, type Project } from "../api/client";
import { OfflineError } from "../api/errors";
import { cacheGet, cachePut } from "./outbox";

export interface Session {
  me: Me;
  project: Project | null; // null: all my projects
  setProject(id: string | null): void;
  reload(): Promise<void>;
  signOut(message?: string): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in screen");
  return session;
}

/** Me from the API; offline, the copy kept from the last time; null when nobody is signed in. */
export async function loadMe(): Promise<{ me: Me | null; offline: boolean }> {
  // No session cookie at all (first visit, signed out): the sign-in screen at once, no round trips.
  if (!cookie("permitto_refresh_csrf") && !cookie("csrf_access_token")) return { me: null, offline: false };
  try {
    const me = await unwrap(api.GET("/api/v1/auth/me"));
    await cachePut("me", me);
    return { me, offline: false };
  } catch (error) {
    if (error instanceof OfflineError) return { me: (await cacheGet<Me>("me")) ?? null, offline: true };
    return { me: null, offline: false };
  }
}

export const PROJECT_KEY = "permitto.project";
export const ROLE_WORDS: Record<string, string> = {
  SUPER_ADMIN: "Administrator",
  COORDINATOR: "Coordinator",
  ISSUER: "Issuer",
  RECEIVER: "Receiver",
};
