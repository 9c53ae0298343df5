import { describe, expect, it } from "vitest";
import { parseJournal, verifyEvents } from "../../src/journal/journal.js";
import { parseJournalLinear } from "../../src/report/read-journal.js";
import { verifyChain } from "../../src/report/verify-chain.js";
import { SCENARIOS } from "../fixtures/journal-scenarios.js";
import { fixtureText, tamper } from "./helpers.js";

/** Replaces the character after the first `marker` by a different hex digit. */
function flipAfter(text: string, marker: string): string {
  const at = text.indexOf(marker) + marker.length;
  return text.slice(0, at) + (text[at] === "0" ? "1" : "0") + text.slice(at + 1);
}

/** The report's fast reader and verifier must say exactly what the journal's own do. */
function variants(): Record<string, string> {
  const completed = fixtureText("completed");
  const lines = completed.split("\n");
  return {
    ...Object.fromEntries(Object.keys(SCENARIOS).map((n) => [n, fixtureText(n)])),
    "one byte changed": tamper(completed, "Rate exceeded", "Rate exceedeD"),
    "hash changed": flipAfter(completed, '"hash":"'),
    "line not JSON": tamper(completed, '"seq":5,', '"seq":5;'),
    "line removed": [...lines.slice(0, 6), ...lines.slice(7)].join("\n"),
    "lines swapped": [...lines.slice(0, 6), lines[7], lines[6], ...lines.slice(8)].join("\n"),
    "multibyte and torn tail": `${completed}{"seq":99,"note":"é€`,
    "blank lines": completed.replace("\n", "\n\n"),
    empty: "",
  };
}

describe("linear reader and one-shot verifier", () => {
  it.each(Object.entries(variants()))("%s: same result as parseJournal + verifyEvents", (_, text) => {
    const ours = parseJournalLinear(text);
    const theirs = parseJournal(text);
    expect(ours.validBytes).toBe(theirs.validBytes);
    expect(ours.tornTailBytes).toBe(theirs.tornTailBytes);
    expect(JSON.stringify(ours.events)).toBe(JSON.stringify(theirs.events));
    expect(verifyChain(ours.events)).toEqual(verifyEvents(theirs.events));
  });

  it("the variants do exercise failures", () => {
    const failing = Object.values(variants()).filter((t) => !verifyChain(parseJournalLinear(t).events).ok);
    // Blank lines are skipped by both readers; a torn tail is not tampering.
    expect(failing.length).toBe(5);
  });
});
