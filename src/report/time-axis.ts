import { formatDuration } from "../language/duration.js";

/** Linear time scale for the SVG charts, with ticks at human intervals. */
export interface TimeScale {
  x(ms: number): number;
  startMs: number;
  endMs: number;
  /** Tick instants (epoch ms), aligned to the origin. */
  ticks: number[];
}

const STEPS_MS = [
  100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Picks a tick interval giving at most `maxTicks` ticks, counted from `originMs`. */
export function timeScale(
  startMs: number,
  endMs: number,
  x0: number,
  x1: number,
  originMs: number,
  maxTicks = 10,
): TimeScale {
  const span = Math.max(endMs - startMs, 1);
  const step =
    STEPS_MS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  const first = originMs + Math.ceil((startMs - originMs) / step) * step;
  for (let t = first; t <= endMs; t += step) ticks.push(t);
  return { x: (ms) => x0 + ((ms - startMs) / span) * (x1 - x0), startMs, endMs, ticks };
}

/** Tick label relative to the origin: `T+1m30s`. */
export function tickLabel(ms: number, originMs: number): string {
  const d = ms - originMs;
  if (d === 0) return "T0";
  return d < 0 ? `T-${formatDuration(-d)}` : `T+${formatDuration(d)}`;
}
