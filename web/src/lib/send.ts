// One request of a form at a time: busy while it runs, the API's message and its words per field after a
// refusal (shown beside each field), the answer otherwise.
import { useState } from "preact/hooks";
import { ApiError, messageOf } from "../api/errors";

/** A small form whose fields are named inputs; the server's words go beside each field. */
export function useSend() {
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  /** The work's answer; null when it was refused (its reasons are then shown). */
  async function send<T>(work: () => Promise<T>): Promise<T | null> {
    setBusy(true);
    setError("");
    setFields({});
    try {
      return await work();
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiError) setFields(e.fieldMessages());
      return null;
    } finally {
      setBusy(false);
    }
  }
  return { fields, error, busy, send };
}

