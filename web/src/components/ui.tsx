// The app's small building blocks. Touch targets are at least 48 px (gloves), text has AA contrast.
import type { ComponentChildren, JSX } from "preact";
import { linkClick } from "../lib/router";
import { stateLook } from "../lib/format";

export function Link(props: { to: string; class?: string; children: ComponentChildren; label?: string }) {
  return (
    <a href={"/app" + props.to} class={props.class} aria-label={props.label}
      onClick={(e) => linkClick(e as unknown as MouseEvent, props.to)}>
      {props.children}
    </a>
  );
}

export function StateBadge({ status }: { status: string }) {
  const look = stateLook(status);
  return <span class={`badge tone-${look.tone}`} data-status={status}>{look.words}</span>;
}

export function ErrorText({ id, message }: { id: string; message?: string | undefined }) {
  if (!message) return null;
  return <p class="field-error" id={id} role="alert">{message}</p>;
}

export function Alert({ kind = "error", children }: { kind?: "error" | "info" | "ok"; children: ComponentChildren }) {
  if (!children) return null;
  return <div class={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>{children}</div>;
}

interface InputProps extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "label"> {
  label: string;
  name: string;
  error?: string | undefined;
  help?: string | undefined;
}

export function TextInput({ label, name, error, help, required, type = "text", ...rest }: InputProps) {
  const id = `f-${name}`;
  const described = [help ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " has-error" : ""}`}>
      <label for={id}>{label}{required ? <span class="req" aria-hidden="true"> *</span> : null}</label>
      {help ? <p class="help" id={`${id}-help`}>{help}</p> : null}
      <input id={id} name={name} type={type} required={required} aria-invalid={error ? "true" : undefined}
        aria-describedby={described} {...rest} />
      <ErrorText id={`${id}-error`} message={error} />
    </div>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return <p class="loading" role="status" aria-live="polite">{label}…</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
    </svg>
  );
}
