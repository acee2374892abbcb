// Sign in, forgot password, set a password from an email link (reset or invitation), change password.
import { useState } from "preact/hooks";
import { api, unwrap } from "../api/client";
import { ApiError, messageOf } from "../api/errors";
import { Alert, Link, TextInput } from "../components/ui";
import { navigate } from "../lib/router";

function useForm() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>("");
  const [fields, setFields] = useState<Record<string, string>>({});
  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError("");
    setFields({});
    try {
      await action();
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiError) setFields(e.fieldMessages());
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, fields, run };
}

function value(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement).value;
}

export function SignIn({ onSignedIn, notice }: { onSignedIn: () => Promise<void>; notice?: string }) {
  const { busy, error, fields, run } = useForm();
  return (
    <main class="auth" id="main">
      <h1>Sign in to Permitto</h1>
      <Alert kind="info">{notice}</Alert>
      <form noValidate onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        void run(async () => {
          await unwrap(api.POST("/api/v1/auth/login", {
            body: { email: value(form, "email"), password: value(form, "password") },
          }));
          await onSignedIn();
        });
      }}>
        <Alert>{error}</Alert>
        <TextInput label="Email" name="email" type="email" autoComplete="username" required error={fields.email} />
        <TextInput label="Password" name="password" type="password" autoComplete="current-password" required
          error={fields.password} />
        <button class="primary" type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      <p><Link to="/forgot-password">Forgot your password?</Link></p>
    </main>
  );
}

export function ForgotPassword() {
  const { busy, error, fields, run } = useForm();
  const [sent, setSent] = useState("");
  return (
    <main class="auth" id="main">
      <h1>Reset your password</h1>
      <p>Enter the email you sign in with. We will send a link to set a new password.</p>
      <form noValidate onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        void run(async () => {
          const answer = await unwrap(api.POST("/api/v1/auth/forgot-password", { body: { email: value(form, "email") } }));
          setSent(answer.message);
        });
      }}>
        <Alert>{error}</Alert>
        <Alert kind="ok">{sent}</Alert>
        <TextInput label="Email" name="email" type="email" autoComplete="username" required error={fields.email} />
        <button class="primary" type="submit" disabled={busy}>Send the link</button>
      </form>
      <p><Link to="/">Back to sign in</Link></p>
    </main>
  );
}

/** The page an email link opens: an invitation to set a first password, or a reset. */
export function SetPassword({ token, invitation }: { token: string; invitation: boolean }) {
  const { busy, error, fields, run } = useForm();
  const [done, setDone] = useState("");
  return (
    <main class="auth" id="main">
      <h1>{invitation ? "Accept your invitation" : "Choose a new password"}</h1>
      <p>{invitation ? "Welcome to Permitto. Choose the password you will sign in with."
        : "Choose a new password. Every other session of yours will be ended."}</p>
      {!token ? <Alert>This link is incomplete. Open the link from your email again.</Alert> : null}
      <form noValidate onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        void run(async () => {
          if (value(form, "password") !== value(form, "confirm")) {
            throw new ApiError(422, "VALIDATION_ERROR", "The two passwords are not the same.",
              [{ field: "confirm", message: "must repeat the password" }]);
          }
          const answer = await unwrap(api.POST("/api/v1/auth/reset-password", {
            body: { token, password: value(form, "password") },
          }));
          setDone(answer.message);
        });
      }}>
        <Alert>{error}</Alert>
        <Alert kind="ok">{done}</Alert>
        <TextInput label="New password" name="password" type="password" autoComplete="new-password" required
          help="At least 12 characters." error={fields.password} />
        <TextInput label="Repeat the password" name="confirm" type="password" autoComplete="new-password" required
          error={fields.confirm} />
        <button class="primary" type="submit" disabled={busy || !token || !!done}>Set password</button>
      </form>
      <p><Link to="/">Go to sign in</Link></p>
    </main>
  );
}

export function ChangePassword({ onEnded }: { onEnded: (message: string) => void }) {
  const { busy, error, fields, run } = useForm();
  return (
    <main id="main">
      <h1>Change password</h1>
      <p>Changing your password signs you out everywhere, this phone included.</p>
      <form noValidate onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        void run(async () => {
          const answer = await unwrap(api.POST("/api/v1/auth/change-password", {
            body: { currentPassword: value(form, "currentPassword"), newPassword: value(form, "newPassword") },
          }));
          onEnded(answer.message);
          navigate("/", { replace: true });
        });
      }}>
        <Alert>{error}</Alert>
        <TextInput label="Current password" name="currentPassword" type="password" autoComplete="current-password"
          required error={fields.currentPassword} />
        <TextInput label="New password" name="newPassword" type="password" autoComplete="new-password" required
          help="At least 12 characters." error={fields.newPassword} />
        <button class="primary" type="submit" disabled={busy}>Change password</button>
      </form>
    </main>
  );
}
