// How the app says things: permit states in words and colours, times in the project's zone.

export interface StateLook {
  words: string;
  tone: "grey" | "blue" | "amber" | "green" | "red" | "purple";
}

export const STATES: Record<string, StateLook> = {
  DRAFT: { words: "Draft", tone: "grey" },
  SUBMITTED: { words: "Waiting for the issuer", tone: "amber" },
  ISSUER_APPROVED: { words: "Waiting for the coordinator", tone: "amber" },
  REJECTED_ISSUER: { words: "Rejected by the issuer", tone: "red" },
  REJECTED_COORD: { words: "Rejected by the coordinator", tone: "red" },
  APPROVED: { words: "Approved, starts soon", tone: "blue" },
  PENDING_DAILY: { words: "Today not yet confirmed", tone: "amber" },
  ACTIVE: { words: "Active: work may go on", tone: "green" },
  SUSPENDED: { words: "Suspended: stop work", tone: "red" },
  PENDING_CLOSEOUT: { words: "Waiting for close-out", tone: "purple" },
  CLOSED: { words: "Closed", tone: "grey" },
  CANCELLED: { words: "Cancelled", tone: "grey" },
};

export function stateLook(status: string): StateLook {
  return STATES[status] ?? { words: status.replace(/_/g, " ").toLowerCase(), tone: "grey" };
}

export const TYPES: Record<string, string> = {
  HW: "Hot work",
  CSE: "Confined space entry",
  WAH: "Working at height",
  EW: "Electrical work",
};

export function typeName(type: string): string {
  return TYPES[type] ?? type;
}

export const ACTIONS: Record<string, string> = {
  submit: "Submit for approval",
  approve: "Approve",
  reject: "Reject",
  revise: "Revise",
  cancel: "Cancel permit",
  suspend: "Suspend work",
  reinstate: "Reinstate",
  "request-closeout": "Request close-out",
  close: "Close permit",
  "daily-approve": "Confirm today",
};

/** "1 Dec 2026, 14:05" in the given IANA zone (the project's), or the phone's. */
export function when(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone,
  }).format(date);
}

export function day(isoDate: string): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  if (!y || !m || !d) return isoDate;
  return new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(0)} kB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** "2026-12-01T08:00" for a datetime-local input, in the given zone. */
export function localInput(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone,
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

/** What happened to a permit, in words (the timeline's and the signatures' action names). */
export const HAPPENINGS: Record<string, string> = {
  created: "Draft started",
  updated: "Draft saved",
  submit: "Submitted for approval",
  issuer_approve: "Issuer approval",
  issuer_reject: "Rejected at issuer review",
  final_approve: "Final approval",
  final_reject: "Rejected at final approval",
  revise: "Taken back to draft for revision",
  cancel: "Cancelled",
  coordinator_cancel: "Cancelled",
  start_day: "Work day opened",
  activate: "Activated: today is confirmed",
  deadline_suspend: "Suspended: not confirmed by the deadline",
  end_day: "Work day ended",
  expire: "Validity ended",
  suspend: "Work suspended",
  reinstate: "Reinstated",
  request_closeout: "Close-out requested",
  close: "Closed",
  daily_confirm: "Today confirmed",
  day_rolled_over: "Next work day (still suspended)",
  expiry_warning: "Expiry warning sent",
  pdf_viewed: "PDF opened",
  file_uploaded: "File added",
  file_deleted: "File removed",
  DAILY_REMINDER: "Reminder sent",
  gas_suspend: "Suspended: a gas test failed",
  retest_suspend: "Suspended: the gas re-test was overdue",
  gas_reading: "Gas test recorded",
  isolation_certificate_linked: "Isolation certificate attached",
  isolation_points_changed: "Isolation points changed (back for approval)",
  isolation_certificate_approved: "Isolation certificate approved",
  point_isolated: "Point isolated",
  point_verified: "Isolation verified",
  point_deisolated: "Isolation removed",
  personal_lock_applied: "Personal lock on",
  personal_lock_removed: "Personal lock off",
  crew_sign_on: "Worker signed on",
  crew_sign_off: "Worker signed off",
  crew_entry: "Entered the space",
  crew_exit: "Left the space",
  handover_requested: "Handover asked for",
  handover_accepted: "Handover accepted by the incoming holder",
  handed_over: "Handed over (issuer acknowledged)",
  handover_cancelled: "Handover cancelled",
  extension_requested: "Extension asked for",
  extension_issuer_approved: "Extension approved by the issuer",
  extended: "Extended",
  extension_refused: "Extension refused",
  extension_withdrawn: "Extension withdrawn",
  fire_watch_named: "Fire watch named",
  fire_watch_cleared: "Fire watch signed the area clear",
};

export function happening(action: string): string {
  return HAPPENINGS[action] ?? action.replace(/_/g, " ").toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

/** Rows as CSV (RFC 4180: every cell quoted, CRLF between rows), for a table's download. */
export function csv(rows: Array<Array<string | number | null | undefined>>): string {
  return rows.map((r) => r.map((c) => `"${String(c ?? "").replace(/"/g, '""')}"`).join(",")).join("\r\n");
}
