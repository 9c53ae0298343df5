/**
 * A minimal terminal, enough to replay what `runbook run` and readline write to a pty and
 * read the screen as the operator would see it: printable characters with xterm's wrapping
 * (a character in the last column leaves the cursor there until the next one wraps), CR, LF
 * and scrolling into a scrollback, BS, TAB, cursor moves (CSI A B C D E F G H f), erasing
 * (CSI J, K); SGR and DEC private modes change nothing visible here. Any other escape is
 * recorded in `unsupported`, so a test can fail when the program writes something this
 * terminal would misplay rather than pass by accident. Every character is one column wide.
 */
export class VtScreen {
  readonly scrollback: string[] = [];
  readonly unsupported: string[] = [];
  private readonly grid: string[][];
  private row = 0;
  private col = 0;
  private wrapPending = false;
  private pending = "";

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => this.blank());
  }

  write(data: string): void {
    const text = this.pending + data;
    this.pending = "";
    let i = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === "\x1b") {
        const used = this.escape(text, i);
        if (used === 0) {
          this.pending = text.slice(i); // an escape split across two chunks
          return;
        }
        i += used;
        continue;
      }
      const cp = text.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      if (ch === "\r") this.moveTo(this.row, 0);
      else if (ch === "\n") this.lineFeed();
      else if (ch === "\b") this.moveTo(this.row, this.col - 1);
      else if (ch === "\t")
        this.moveTo(this.row, Math.min(this.cols - 1, (Math.floor(this.col / 8) + 1) * 8));
      else if (cp >= 0x20 && cp !== 0x7f) this.print(String.fromCodePoint(cp));
    }
  }

  /** The screen's rows, trailing blanks cut, trailing empty rows dropped. */
  screen(): string[] {
    const lines = this.grid.map((r) => r.join("").trimEnd());
    while (lines.length && lines.at(-1) === "") lines.pop();
    return lines;
  }

  /** Everything the operator can see or scroll back to. */
  all(): string[] {
    return [...this.scrollback, ...this.screen()];
  }

  private blank(): string[] {
    return Array.from({ length: this.cols }, () => " ");
  }

  private print(ch: string): void {
    if (this.wrapPending) {
      this.moveTo(this.row, 0);
      this.lineFeed();
    }
    this.grid[this.row]![this.col] = ch;
    if (this.col === this.cols - 1) this.wrapPending = true;
    else this.col++;
  }

  private lineFeed(): void {
    this.wrapPending = false;
    if (this.row < this.rows - 1) {
      this.row++;
      return;
    }
    this.scrollback.push(this.grid.shift()!.join("").trimEnd());
    this.grid.push(this.blank());
  }

  private moveTo(row: number, col: number): void {
    this.row = Math.max(0, Math.min(this.rows - 1, row));
    this.col = Math.max(0, Math.min(this.cols - 1, col));
    this.wrapPending = false;
  }

  /** How many characters the escape at `i` takes; 0 when it is not complete yet. */
  private escape(text: string, i: number): number {
    const next = text[i + 1];
    if (next === undefined) return 0;
    if (next === "]") {
      // OSC (a window title): up to BEL or ST, nothing on the screen.
      const bel = text.indexOf("\x07", i);
      const st = text.indexOf("\x1b\\", i);
      const end = [bel === -1 ? -1 : bel + 1, st === -1 ? -1 : st + 2].filter((n) => n > 0);
      return end.length ? Math.min(...end) - i : 0;
    }
    if (next !== "[") {
      this.unsupported.push(JSON.stringify(text.slice(i, i + 2)));
      return 2;
    }
    let j = i + 2;
    while (j < text.length && /[0-?]/.test(text[j]!)) j++;
    while (j < text.length && /[ -/]/.test(text[j]!)) j++;
    if (j >= text.length) return 0;
    this.csi(text.slice(i + 2, j), text[j]!);
    return j + 1 - i;
  }

  private csi(params: string, final: string): void {
    if (params.startsWith("?")) {
      if (final !== "h" && final !== "l") this.unsupported.push(`CSI ${params}${final}`);
      return;
    }
    const args = params.split(";").map((p) => (p === "" ? undefined : Number(p)));
    const n = args[0] ?? 1;
    const moves: Record<string, () => [number, number]> = {
      A: () => [this.row - n, this.col],
      B: () => [this.row + n, this.col],
      C: () => [this.row, this.col + n],
      D: () => [this.row, this.col - n],
      E: () => [this.row + n, 0],
      F: () => [this.row - n, 0],
      G: () => [this.row, n - 1],
      H: () => [(args[0] ?? 1) - 1, (args[1] ?? 1) - 1],
      f: () => [(args[0] ?? 1) - 1, (args[1] ?? 1) - 1],
    };
    const move = moves[final];
    if (move) this.moveTo(...move());
    else if (final === "J") this.eraseDisplay(args[0] ?? 0);
    else if (final === "K") this.eraseLine(this.row, args[0] ?? 0);
    else if (final !== "m") this.unsupported.push(`CSI ${params}${final}`);
  }

  private eraseLine(row: number, mode: number): void {
    const line = this.grid[row]!;
    const [from, to] = mode === 0 ? [this.col, this.cols] : mode === 1 ? [0, this.col + 1] : [0, this.cols];
    for (let c = from; c < to; c++) line[c] = " ";
  }

  private eraseDisplay(mode: number): void {
    if (mode === 3) {
      this.scrollback.length = 0;
      return;
    }
    this.eraseLine(this.row, mode);
    const rows = mode === 0 ? [this.row + 1, this.rows] : mode === 1 ? [0, this.row] : [0, this.rows];
    for (let r = rows[0]!; r < rows[1]!; r++) this.grid[r] = this.blank();
  }
}
