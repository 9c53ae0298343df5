/** A table cell: one line, no unescaped pipe. */
export function mdCell(text: string): string {
  if (!text.includes("|") && !text.includes("\n")) return text;
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/**
 * A code span that shows its text literally, whatever it holds: keys and URLs are user data,
 * and a Markdown renderer would otherwise read `<script>`, `*` or backticks in them.
 */
export function mdCode(text: string): string {
  const flat = text.replace(/\r?\n/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat.startsWith(" ") ? " " : "";
  return mdCell(`${fence}${pad}${flat}${pad}${fence}`);
}
