/**
 * Where a renderer sends its text. Lines are batched into chunks of about 64 KiB and handed
 * on: a report of 100,000 rows never exists as an array of rows nor as one string. Those
 * would live until the end and cost the garbage collector more than the rendering does.
 */
export class TextSink {
  private chunk = "";

  constructor(private readonly write: (chunk: string) => void) {}

  line(text = ""): void {
    this.chunk += `${text}\n`;
    if (this.chunk.length >= CHUNK_CHARS) this.flush();
  }

  lines(texts: Iterable<string>): void {
    for (const t of texts) this.line(t);
  }

  flush(): void {
    if (this.chunk.length === 0) return;
    this.write(this.chunk);
    this.chunk = "";
  }
}

const CHUNK_CHARS = 64 * 1024;

/** A whole report as one string: for tests and small reports. */
export function collectText(render: (sink: TextSink) => void): string {
  const parts: string[] = [];
  const sink = new TextSink((chunk) => parts.push(chunk));
  render(sink);
  sink.flush();
  return parts.join("");
}
