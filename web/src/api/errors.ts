// The one error envelope of the API, as the app uses it: a message in words, and per-field reasons
// shown beside the field they name.

export interface FieldProblem {
  field: string;
  message: string;
}

export interface Envelope {
  success: false;
  error: { code: string; message: string; requestId?: string; details?: FieldProblem[] };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: FieldProblem[];
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, details: FieldProblem[] = [], requestId?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  static fromEnvelope(status: number, body: unknown): ApiError {
    const envelope = body as Partial<Envelope> | null;
    const error = envelope && typeof envelope === "object" ? envelope.error : undefined;
    if (error && typeof error.message === "string") {
      return new ApiError(status, error.code ?? "ERROR", error.message, error.details ?? [], error.requestId);
    }
    return new ApiError(status, "UNEXPECTED", `The server answered ${status} without an explanation.`);
  }

  /** Reasons by field name, for forms: "formData.location" is also reachable as "location". */
  fieldMessages(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const problem of this.details) {
      const short = problem.field.replace(/^(body\.|formData\.)/, "");
      out[problem.field] ??= problem.message;
      out[short] ??= problem.message;
    }
    return out;
  }
}

/** The request never reached the server: no connection, or the connection dropped. */
export class OfflineError extends Error {
  constructor() {
    super("No connection. What you did is kept on this phone and sent when the connection is back.");
    this.name = "OfflineError";
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof OfflineError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
