// Prints vitest's totals as one plain line ("N passed, N failed") for tools that read the last line.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(new URL("../test-results/vitest.json", import.meta.url), "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exitCode = report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0;
