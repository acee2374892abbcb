// My notifications (live), mark one or all read, a tap opens the permit; preferences and Web Push.
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, unwrapPage, type Notification } from "../api/client";
import { messageOf } from "../api/errors";
import { Alert, Empty, Spinner } from "../components/ui";
import { when } from "../lib/format";
import { onNotification } from "../lib/live";
import { enablePush, needsHomeScreen, pushSupported } from "../lib/push";
import { navigate } from "../lib/router";
import { act } from "./PermitDetail";
import { useSession } from "../lib/session";

export function Notifications() {
  const [items, setItems] = useState<Notification[] | null>(null);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  async function load() {
    try {
      setItems((await unwrapPage(api.GET("/api/v1/notifications", { params: { query: { limit: 50 } } }))).data);
    } catch (e) {
      setError(messageOf(e));
    }
  }
  useEffect(() => { void load(); return onNotification(() => void load()); }, []);

  async function open(n: Notification) {
    if (!n.readAt) {
      await unwrap(api.PATCH("/api/v1/notifications/{notification_id}/read", {
        params: { path: { notification_id: n.id } } })).catch(() => undefined);
      window.dispatchEvent(new Event("permitto:read"));
    }
    if (n.permitId) navigate(`/permits/${n.permitId}`);
    else if (n.link) navigate(new URL(n.link).pathname);  // about you, not a permit: its own page
    else void load();
  }

  /** A reminder is confirmed where it is read: one tap, without opening the permit. */
  async function confirmToday(n: Notification) {
    setError("");
    try {
      const permit = await act(n.permitId!, "daily-approve");
      setDone(`${permit.number ?? permit.title}: confirmed for today.`);
      await unwrap(api.PATCH("/api/v1/notifications/{notification_id}/read", {
        params: { path: { notification_id: n.id } } })).catch(() => undefined);
      window.dispatchEvent(new Event("permitto:read"));
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  }

  async function readAll() {
    try {
      await unwrap(api.POST("/api/v1/notifications/read-all"));
      window.dispatchEvent(new Event("permitto:read"));
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  }

  return (
    <main id="main">
      <h1>Notifications</h1>
      <Alert>{error}</Alert>
      <Alert kind="ok">{done}</Alert>
      <div class="buttons">
        <button type="button" class="secondary" onClick={() => void readAll()}
          disabled={!items?.some((n) => !n.readAt)}>Mark all read</button>
        <button type="button" class="secondary" onClick={() => navigate("/settings")}>Settings</button>
      </div>
      {items === null ? <Spinner /> : items.length === 0 ? <Empty>No notifications yet.</Empty> : (
        <ul class="notifications" data-testid="notifications">
          {items.map((n) => (
            <li key={n.id} class={n.readAt ? "read" : "unread"}>
              <button type="button" class="notification" onClick={() => void open(n)}>
                <span class="n-title">{n.readAt ? null : <span class="dot" aria-label="unread" />}{n.title}</span>
                <span class="n-body">{n.body}</span>
                <span class="n-when">{when(n.createdAt)}</span>
              </button>
              {n.type === "DAILY_REMINDER" && n.permitId && !n.readAt ? (
                <button type="button" class="primary small" onClick={() => void confirmToday(n)}>Confirm today</button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

const EVENTS: Record<string, string> = {
  PERMIT_SUBMITTED: "A permit is submitted",
  PERMIT_ISSUER_APPROVED: "The issuer approves",
  PERMIT_APPROVED: "A permit is approved",
  PERMIT_REJECTED: "A permit is rejected",
  DAILY_REMINDER: "Daily confirmation reminders",
  PERMIT_SUSPENDED: "Work is suspended",
};

export function Settings() {
  const session = useSession();
  const [prefs, setPrefs] = useState<{ emailEnabled: boolean; pushEnabled: boolean; dailyDigest: boolean;
    perEvent: Record<string, Record<string, boolean>> } | null>(null);
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  useEffect(() => { void unwrap(api.GET("/api/v1/notifications/preferences")).then(setPrefs).catch((e) => setError(messageOf(e))); }, []);

  async function change(body: Record<string, unknown>) {
    setError("");
    try {
      setPrefs(await unwrap(api.PATCH("/api/v1/notifications/preferences", { body: body as never })));
      setMessage("Saved.");
    } catch (e) {
      setError(messageOf(e));
    }
  }

  if (!prefs) return <main id="main">{error ? <Alert>{error}</Alert> : <Spinner />}</main>;
  return (
    <main id="main">
      <h1>Settings</h1>
      <Alert>{error}</Alert>
      <Alert kind="ok">{message}</Alert>
      <section class="card" aria-labelledby="push-h">
        <h2 id="push-h">Notifications on this phone</h2>
        {needsHomeScreen() ? (
          <Alert kind="info">On iPhone and iPad, push notifications need Permitto on the Home Screen: tap Share, then
            “Add to Home Screen”, and open Permitto from there.</Alert>
        ) : null}
        {pushSupported() ? (
          <button type="button" class="primary" onClick={() => void enablePush().then(() => {
            setMessage("Push notifications are on for this browser.");
            return unwrap(api.GET("/api/v1/notifications/preferences")).then(setPrefs);
          }).catch((e) => setError(messageOf(e)))}>Turn on push notifications</button>
        ) : <p class="help">This browser cannot receive push notifications.</p>}
      </section>
      <section class="card" aria-labelledby="channels-h">
        <h2 id="channels-h">Channels</h2>
        {([["emailEnabled", "Email"], ["pushEnabled", "Push"], ["dailyDigest", "One daily reminder digest instead of one email a permit"]] as const).map(([key, label]) => (
          <label class="choice" key={key}>
            <input type="checkbox" checked={prefs[key]} onChange={(e) => void change({ [key]: e.currentTarget.checked })} />
            <span>{label}</span>
          </label>
        ))}
      </section>
      <section class="card" aria-labelledby="events-h">
        <h2 id="events-h">Emails by event</h2>
        {Object.entries(EVENTS).map(([event, label]) => (
          <label class="choice" key={event}>
            <input type="checkbox" checked={prefs.perEvent[event]?.email !== false}
              onChange={(e) => void change({ perEvent: { ...prefs.perEvent, [event]: { ...(prefs.perEvent[event] ?? {}), email: e.currentTarget.checked } } })} />
            <span>{label}</span>
          </label>
        ))}
      </section>
      <section class="card" aria-labelledby="account-h">
        <h2 id="account-h">Account</h2>
        <button type="button" class="secondary" onClick={() => navigate("/competencies")}>My competencies</button>
        <button type="button" class="secondary" onClick={() => navigate("/change-password")}>Change password</button>
        <button type="button" class="secondary" onClick={() => void session.signOut()}>Sign out</button>
      </section>
    </main>
  );
}
