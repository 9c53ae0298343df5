import { UsageError } from "../errors.js";

/**
 * 5-field cron → the cron of EventBridge Scheduler and the OnCalendar= of systemd timers.
 *
 * Each field is read into the set of values it matches (numbers, names, `*`, lists, ranges,
 * `*\/n` and `a-b/n` steps) and that set is written out in the target's syntax, so what
 * fires is the same instant, not a look-alike string. Day-of-month and day-of-week follow
 * the scheduler's own rule (croner, like Vixie cron): when both are restricted (neither is
 * `*`) a day matches if EITHER matches. Anything else (L, W, #, the `+` modifier) is refused
 * with a message naming the field, never approximated.
 */

export class CronConversionError extends UsageError {}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DOM: FieldSpec = { name: "day-of-month", min: 1, max: 31 };
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: ["", ...MONTHS] };
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;
// 7 is Sunday too; read as 0 below.
const DOW: FieldSpec = { name: "day-of-week", min: 0, max: 7, names: [...DAYS, "SUN"] };

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export interface CronFields {
  minute: number[];
  hour: number[];
  dom: number[];
  month: number[];
  /** 0 = Sunday … 6 = Saturday. */
  dow: number[];
  domRestricted: boolean;
  dowRestricted: boolean;
}

export function parseCronFields(expression: string): CronFields {
  const text = NICKNAMES[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronConversionError(`"${expression}" is not a 5-field cron expression`);
  }
  const [m, h, dom, mon, dow] = parts as [string, string, string, string, string];
  const star = (s: string) => s === "*" || s === "?";
  return {
    minute: readField(m, MINUTE, expression),
    hour: readField(h, HOUR, expression),
    dom: readField(dom, DOM, expression),
    month: readField(mon, MONTH, expression),
    dow: [...new Set(readField(dow, DOW, expression).map((d) => d % 7))].sort((a, b) => a - b),
    domRestricted: !star(dom),
    dowRestricted: !star(dow),
  };
}

function readField(text: string, spec: FieldSpec, expression: string): number[] {
  const refuse = (why: string) =>
    new CronConversionError(
      `cannot convert ${spec.name} "${text}" of "${expression}": ${why}; only numbers, names, *, lists, ranges and steps convert`,
    );
  const value = (token: string): number => {
    const upper = token.toUpperCase();
    const named = spec.names?.indexOf(upper) ?? -1;
    const n =
      named > 0 || (named === 0 && upper !== "") ? named : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (Number.isNaN(n)) throw refuse(`"${token}" is not a number${spec.names ? " or a name" : ""}`);
    if (n < spec.min || n > spec.max) throw refuse(`${n} is outside ${spec.min}-${spec.max}`);
    return n;
  };
  const out = new Set<number>();
  for (const item of text.split(",")) {
    if (/[LW#+]/i.test(item.replace(/[A-Z]{3}/gi, (w) => (spec.names?.includes(w.toUpperCase()) ? "" : w)))) {
      throw refuse("L, W, # and + have no equivalent here");
    }
    const [range, stepText] = item.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw refuse(`bad step "${stepText}"`);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      lo = spec.min;
      hi = spec.max === 7 ? 6 : spec.max;
    } else if (range.includes("-")) {
      const [a, b] = range.split("-") as [string, string];
      lo = value(a);
      hi = value(b);
      if (lo > hi) throw refuse(`range ${a}-${b} runs backwards`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

// ---------------------------------------------------------------- rendering

interface Style {
  range: "-" | "..";
  /** Whether a progression may be written start/step (EventBridge has no step for day-of-week). */
  steps: boolean;
  pad: number;
  label?: (v: number) => string;
}

/** A set of values in a target syntax: `*`, `start/step`, or a list of values and ranges. */
function render(values: number[], min: number, max: number, style: Style): string {
  const full = values.length === max - min + 1;
  if (full) return "*";
  const show = (v: number) => style.label?.(v) ?? String(v).padStart(style.pad, "0");
  if (style.steps && values.length >= 3) {
    const step = values[1]! - values[0]!;
    const progression = step > 1 && values.every((v, i) => v === values[0]! + i * step);
    if (progression && values.at(-1)! + step > max) return `${show(values[0]!)}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${show(values[i]!)}${style.range}${show(values[j]!)}`);
    else for (let k = i; k <= j; k++) parts.push(show(values[k]!));
    i = j + 1;
  }
  return parts.join(",");
}

/** Which days match, as the scheduler reads them: "all", only one field, or either (OR). */
function dayRule(f: CronFields): "all" | "dom" | "dow" | "either" {
  const domAll = f.dom.length === 31;
  const dowAll = f.dow.length === 7;
  if (f.domRestricted && f.dowRestricted) {
    // Either matching: if one of them matches every day, every day matches.
    if (domAll || dowAll) return "all";
    return "either";
  }
  if (f.domRestricted && !domAll) return "dom";
  if (f.dowRestricted && !dowAll) return "dow";
  return "all";
}

// ---------------------------------------------------------------- EventBridge

/**
 * `cron(minutes hours day-of-month month day-of-week year)`; exactly one of day-of-month and
 * day-of-week is `?`, day-of-week is written with names (its numbers are 1 = SUN … 7 = SAT
 * there, unlike cron's 0 = SUN), and EventBridge has no step for day-of-week.
 */
export function toEventBridgeCron(expression: string): string {
  const f = parseCronFields(expression);
  const rule = dayRule(f);
  if (rule === "either") {
    throw new CronConversionError(
      `cannot convert "${expression}" to EventBridge: with both day-of-month and day-of-week restricted it fires on days matching either, and EventBridge cron allows only one of them (the other must be ?)`,
      "Split it into two drills, one restricting day-of-month and one restricting day-of-week.",
    );
  }
  const numeric: Style = { range: "-", steps: true, pad: 0 };
  const minute = render(f.minute, 0, 59, numeric);
  const hour = render(f.hour, 0, 23, numeric);
  const month = render(f.month, 1, 12, numeric);
  const dom = rule === "dom" ? render(f.dom, 1, 31, numeric) : rule === "dow" ? "?" : "*";
  const dow =
    rule === "dow" ? render(f.dow, 0, 6, { range: "-", steps: false, pad: 0, label: (v) => DAYS[v]! }) : "?";
  return `cron(${minute} ${hour} ${dom} ${month} ${dow} *)`;
}

// ---------------------------------------------------------------- systemd

const SYSTEMD_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/**
 * `OnCalendar=` values (systemd.time(7)): `[DOW] *-MM-DD HH:MM:00 ZONE`. When both day fields
 * are restricted, days matching either fire: two OnCalendar= lines, one per field.
 */
export function toSystemdOnCalendar(expression: string, timezone = "UTC"): string[] {
  const f = parseCronFields(expression);
  const two: Style = { range: "..", steps: true, pad: 2 };
  const time = `${render(f.hour, 0, 23, two)}:${render(f.minute, 0, 59, two)}:00`;
  const month = render(f.month, 1, 12, two);
  const dom = render(f.dom, 1, 31, two);
  const dow = render(f.dow, 0, 6, { range: "..", steps: false, pad: 0, label: (v) => SYSTEMD_DAYS[v]! });
  const line = (days: string | undefined, day: string) =>
    `${days ? `${days} ` : ""}*-${month}-${day} ${time} ${timezone}`;
  switch (dayRule(f)) {
    case "all":
      return [line(undefined, "*")];
    case "dom":
      return [line(undefined, dom)];
    case "dow":
      return [line(dow, "*")];
    case "either":
      return [line(dow, "*"), line(undefined, dom)];
  }
}
