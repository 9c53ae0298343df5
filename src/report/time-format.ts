import { formatDuration } from "../language/duration.js";

/**
 * Display of instants for reports. The model keeps UTC ISO-8601; renderers show wall-clock
 * time in one zone (UTC unless an IANA zone is asked for), labelled with that zone.
 */
export interface TimeDisplay {
  /** `UTC` or the IANA zone name. */
  zone: string;
  /** `2026-11-27 03:12:00.000` in the display zone. */
  wall(iso: string): string;
  /** `03:12:00.000`, or `11-27 03:12:00.000` when the report spans several days. */
  clock(iso: string): string;
  /** ISO 8601 in the display zone: `2026-11-27T03:12:00.000Z`, `2026-11-26T22:12:00.000-05:00`. */
  iso(iso: string): string;
  /** `iso()` followed by the zone's name outside UTC (the offset says which instant, the name which rules), for headers. */
  full(iso: string): string;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function timeDisplay(tz: string | undefined, spanIsos: readonly string[] = []): TimeDisplay {
  const zone = tz === undefined || tz === "UTC" || tz === "Etc/UTC" ? "UTC" : tz;
  const wall = zone === "UTC" ? utcWall : zonedWall(zone);
  const days = new Set(spanIsos.map((iso) => wall(iso).slice(0, 10)));
  const multiDay = days.size > 1;
  return {
    zone,
    wall,
    clock:
      zone === "UTC" && !multiDay
        ? (iso) => (isCanonicalUtc(iso) ? iso.slice(11, 23) : wall(iso).slice(11))
        : (iso) => (multiDay ? wall(iso).slice(5) : wall(iso).slice(11)),
    iso: zone === "UTC" ? utcIso : (iso) => isoWithOffset(wall, iso),
    full: zone === "UTC" ? utcIso : (iso) => `${isoWithOffset(wall, iso)} ${zone}`,
  };
}

const UTC_ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** `toISOString()` output, as every journal timestamp is: its text is the UTC wall clock. */
function isCanonicalUtc(iso: string): boolean {
  return iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */ && iso.charCodeAt(10) === 84 /* T */;
}

function utcWall(iso: string): string {
  // No Date needed for journal timestamps (100k rows).
  if (isCanonicalUtc(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  if (UTC_ISO_MS.test(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 23).replace("T", " ");
}

function zonedWall(zone: string): (iso: string) => string {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    fractionalSecondDigits: 3,
  });
  return (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(d)) p[part.type] = part.value;
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}`;
  };
}

function utcIso(iso: string): string {
  if (isCanonicalUtc(iso)) return iso;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString();
}

/** The zone's wall clock with its UTC offset at that instant: `2026-11-26T22:10:00.000-05:00`. */
function isoWithOffset(wall: (iso: string) => string, iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const local = wall(iso).replace(" ", "T");
  const offsetMin = Math.round((Date.parse(`${local}Z`) - ms) / 60_000);
  const abs = Math.abs(offsetMin);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${local}${offsetMin < 0 ? "-" : "+"}${hhmm}`;
}

/** `T+3m34s`, `T-2.0s`: time since the incident was declared. */
export function formatOffset(ms: number): string {
  return ms < 0 ? `T-${formatDuration(-ms)}` : `T+${formatDuration(ms)}`;
}
