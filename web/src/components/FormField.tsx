// One field of a template, rendered for its type: all ten types, with required marks, help text and
// the API's reason beside it.
import { ErrorText } from "./ui";
import { fromApi, toApi, type FieldSpec } from "../lib/form";
import { Uploader } from "./Uploader";

interface Props {
  spec: FieldSpec;
  value: unknown;
  error?: string | undefined;
  permitId?: string | undefined; // file fields need the permit on the server
  onChange(value: unknown): void;
}

export function FormField({ spec, value, error, permitId, onChange }: Props) {
  const id = `f-${spec.key}`;
  const described = [spec.help ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const shown = fromApi(spec, value);
  const common = { id, name: spec.key, "aria-invalid": error ? ("true" as const) : undefined, "aria-describedby": described };
  const label = (
    <>
      {spec.label}
      {spec.unit ? ` (${spec.unit})` : ""}
      {spec.required ? <span class="req" aria-hidden="true"> *</span> : null}
      {spec.required ? <span class="visually-hidden"> (required)</span> : null}
    </>
  );
  const help = spec.help ? <p class="help" id={`${id}-help`}>{spec.help}</p> : null;
  const wrap = (input: preact.ComponentChildren, group = false) => group ? (
    <fieldset class={`field${error ? " has-error" : ""}`} aria-describedby={described}>
      <legend>{label}</legend>
      {help}
      {input}
      <ErrorText id={`${id}-error`} message={error} />
    </fieldset>
  ) : (
    <div class={`field${error ? " has-error" : ""}`}>
      <label for={id}>{label}</label>
      {help}
      {input}
      <ErrorText id={`${id}-error`} message={error} />
    </div>
  );

  switch (spec.type) {
    case "textarea":
      return wrap(<textarea {...common} rows={4} value={shown as string} placeholder={spec.placeholder ?? undefined}
        maxLength={spec.maxLength ?? undefined} onInput={(e) => onChange(toApi(spec, e.currentTarget.value))} />);
    case "number":
      return wrap(<input {...common} type="number" inputMode="decimal" step="any" value={shown as string}
        min={spec.min ?? undefined} max={spec.max ?? undefined}
        onInput={(e) => onChange(toApi(spec, e.currentTarget.value))} />);
    case "date":
    case "time":
      return wrap(<input {...common} type={spec.type} value={shown as string}
        onInput={(e) => onChange(toApi(spec, e.currentTarget.value))} />);
    case "select":
      return wrap(
        <select {...common} value={shown as string} onChange={(e) => onChange(toApi(spec, e.currentTarget.value))}>
          <option value="">Choose…</option>
          {(spec.options ?? []).map((o) => <option value={o.value} key={o.value}>{o.label}</option>)}
        </select>,
      );
    case "radio":
      return wrap(
        <div class="choices">
          {(spec.options ?? []).map((o) => (
            <label class="choice" key={o.value}>
              <input type="radio" name={spec.key} value={o.value} checked={shown === o.value}
                onChange={() => onChange(o.value)} />
              <span>{o.label}</span>
            </label>
          ))}
        </div>, true,
      );
    case "multiselect":
    case "checkbox": {
      if (spec.type === "checkbox" && !spec.options?.length) {
        return (
          <div class={`field${error ? " has-error" : ""}`}>
            {help}
            <label class="choice">
              <input {...common} type="checkbox" checked={shown === true}
                onChange={(e) => onChange(e.currentTarget.checked)} />
              <span>{label}</span>
            </label>
            <ErrorText id={`${id}-error`} message={error} />
          </div>
        );
      }
      const picked = shown as string[];
      return wrap(
        <div class="choices">
          {(spec.options ?? []).map((o) => (
            <label class="choice" key={o.value}>
              <input type="checkbox" name={spec.key} value={o.value} checked={picked.includes(o.value)}
                onChange={(e) => onChange(e.currentTarget.checked ? [...picked, o.value] : picked.filter((v) => v !== o.value))} />
              <span>{o.label}</span>
            </label>
          ))}
        </div>, true,
      );
    }
    case "file-upload":
      return wrap(
        permitId ? (
          <Uploader permitId={permitId} inputId={id} chosen={shown as string[]} max={spec.maxFiles ?? 10}
            onChange={(ids) => onChange(ids)} />
        ) : <p class="help">Files can be added once the draft has reached the server.</p>, true,
      );
    default:
      return wrap(<input {...common} type="text" value={shown as string} placeholder={spec.placeholder ?? undefined}
        maxLength={spec.maxLength ?? undefined} onInput={(e) => onChange(toApi(spec, e.currentTarget.value))} />);
  }
}
