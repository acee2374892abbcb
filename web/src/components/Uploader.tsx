// Photos and documents: the phone's camera or a file, sent straight to storage by a presigned URL with
// a progress bar, then confirmed (the files service checks size and content). The API's refusals (the
// 10-file limit, a type or size it does not take) are shown in its words.
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type FileInfo } from "../api/client";
import { ApiError, messageOf } from "../api/errors";
import { bytes } from "../lib/format";
import { Alert } from "./ui";

function put(url: string, headers: Record<string, string>, file: File, progress: (p: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`Storage refused the upload (${xhr.status}).`)));
    xhr.onerror = () => reject(new Error("The upload was interrupted. Try again when the connection is steady."));
    xhr.send(file);
  });
}

const FIELD_WORDS: Record<string, string> = { contentType: "File type", size: "Size", fileName: "File name" };

/** The API's refusal in words: what it said, and each field's reason ("File type: must be one of …"). */
export function refusal(error: ApiError): string {
  const reasons = error.details.filter((d) => FIELD_WORDS[d.field]).map((d) => `${FIELD_WORDS[d.field]}: ${d.message}.`);
  return [error.message, ...reasons].join(" ");
}

export async function uploadFile(permitId: string, file: File, progress: (p: number) => void): Promise<FileInfo> {
  const ticket = await unwrap(api.POST("/api/v1/files/upload-url", {
    body: { permitId, fileName: file.name, contentType: file.type || "application/octet-stream", size: file.size },
  }));
  await put(ticket.url, ticket.headers, file, progress);
  return unwrap(api.POST("/api/v1/files/confirm", { body: { uploadId: ticket.uploadId } }));
}

interface Props {
  permitId: string;
  inputId?: string;
  chosen?: string[]; // for a form field: the ids it holds
  max?: number;
  onChange?(ids: string[]): void;
  onUploaded?(file: FileInfo): void;
}

export function Uploader({ permitId, inputId = "upload", chosen, max = 10, onChange, onUploaded }: Props) {
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState("");
  const [names, setNames] = useState<Record<string, string>>({});

  useEffect(() => {
    if (!chosen?.length) return;
    void unwrap(api.GET("/api/v1/files", { params: { query: { permitId } } }))
      .then((files) => setNames(Object.fromEntries(files.map((f) => [f.id, f.name])))).catch(() => undefined);
  }, [permitId, chosen?.length]);

  async function send(file: File) {
    setError("");
    setProgress(0);
    try {
      const info = await uploadFile(permitId, file, setProgress);
      setNames((n) => ({ ...n, [info.id]: info.name }));
      onUploaded?.(info);
      if (chosen && onChange) onChange([...chosen, info.id]);
    } catch (e) {
      setError(e instanceof ApiError ? refusal(e) : messageOf(e));
    } finally {
      setProgress(null);
    }
  }

  const full = chosen ? chosen.length >= max : false;
  return (
    <div class="uploader">
      {chosen?.length ? (
        <ul class="chosen-files">
          {chosen.map((id) => (
            <li key={id}>
              <span>{names[id] ?? "File"}</span>
              <button type="button" class="link" onClick={() => onChange?.(chosen.filter((c) => c !== id))}>Remove</button>
            </li>
          ))}
        </ul>
      ) : null}
      <div class="upload-buttons">
        <label class={`button secondary${full || progress !== null ? " disabled" : ""}`}>
          Take a photo
          <input type="file" accept="image/*" capture="environment" class="visually-hidden" id={`${inputId}-camera`}
            disabled={full || progress !== null}
            onChange={(e) => { const f = e.currentTarget.files?.[0]; e.currentTarget.value = ""; if (f) void send(f); }} />
        </label>
        <label class={`button secondary${full || progress !== null ? " disabled" : ""}`}>
          Choose a file
          <input type="file" accept="image/*,application/pdf" class="visually-hidden" id={`${inputId}-file`}
            data-testid="file-input" disabled={full || progress !== null}
            onChange={(e) => { const f = e.currentTarget.files?.[0]; e.currentTarget.value = ""; if (f) void send(f); }} />
        </label>
      </div>
      {progress !== null ? (
        <div class="progress" role="progressbar" aria-label="Upload" aria-valuemin={0} aria-valuemax={100}
          aria-valuenow={Math.round(progress * 100)}>
          <span style={{ width: `${Math.round(progress * 100)}%` }} />
        </div>
      ) : null}
      {full ? <p class="help">This field holds at most {max} files.</p> : null}
      <Alert>{error}</Alert>
      <p class="help">Photos (JPEG, PNG, HEIC) and PDFs, up to {bytes(25 * 1024 * 1024)}.</p>
    </div>
  );
}
