/**
 * A script's console output, relayed into eval-gate's own log as text that the Actions runner
 * cannot take for a workflow command. The runner reads a command from a line that starts with
 * `::` once leading whitespace is trimmed (`::add-mask::`, `::stop-commands::`, ...), and from the
 * legacy `##[name]` anywhere in a line; its lines end at \n, \r or \r\n. So every line of the
 * script's output is printed behind a prefix of our own, `##[` is broken up, and control
 * characters (terminal escapes that could redraw eval-gate's own lines) are shown escaped.
 */

const LINE_BREAK = /\r\n|\r|\n/;
// C0 controls other than tab, DEL, and C1 controls (some terminals act on them).
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

function escapeLine(text: string): string {
  return text
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replaceAll("##[", "## [");
}

/** `[script graders/x.mjs] ` for the module at that path (itself escaped: a path may hold anything). */
export function outputPrefix(path: string): string {
  return `[script ${escapeLine(path.replace(/\r\n|\r|\n/g, " "))}] `;
}

/**
 * `write`, until `maxBytes` have gone through it; then one line saying so, and nothing more, so
 * that scripts cannot flood the log. Shared by every script of a runner.
 */
export function limitOutput(write: (text: string) => void, maxBytes: number): (text: string) => void {
  let written = 0;
  return (text) => {
    if (written > maxBytes) return;
    written += Buffer.byteLength(text);
    if (written <= maxBytes) write(text);
    else write(`[script] (more output dropped: scripts may print at most ${maxBytes} bytes per run)\n`);
  };
}

/**
 * Splits output into whole lines (a partial last line waits for the rest, or for `flush`), and
 * gives each to `write` escaped and prefixed, ending in \n.
 */
export class LineRelay {
  private pending = "";

  constructor(
    private readonly prefix: string,
    private readonly write: (text: string) => void,
  ) {}

  push(chunk: string): void {
    const text = this.pending + chunk;
    // A \r at the end may be the first half of \r\n: it waits with the partial line.
    const cr = text.endsWith("\r");
    const lines = (cr ? text.slice(0, -1) : text).split(LINE_BREAK);
    this.pending = (lines.pop() ?? "") + (cr ? "\r" : "");
    for (const line of lines) this.emit(line);
    if (this.pending.length > 64 * 1024) this.flush();
  }

  /** Writes a partial last line, if any (at the end of a call, or when the process is gone). */
  flush(): void {
    if (this.pending === "") return;
    const line = this.pending.replace(/\r$/, "");
    this.pending = "";
    this.emit(line);
  }

  private emit(line: string): void {
    this.write(`${this.prefix}${escapeLine(line)}\n`);
  }
}
