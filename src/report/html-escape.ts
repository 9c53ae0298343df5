/** Text and attribute values for the self-contained HTML reports. */
export function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A class-name fragment from free text: `in doubt` → `in-doubt`. */
export function cssToken(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
