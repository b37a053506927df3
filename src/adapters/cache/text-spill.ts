import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { grown } from "../../core/columns.js";
import type { TextStore } from "../../core/ports.js";

/** Writes are gathered into pieces of about this many bytes. */
const PIECE = 256 * 1024;

/**
 * A TextStore in one file of a folder of its own under `dir` (RUNNER_TEMP), made on the first
 * text: texts are appended, each found again by its offset. Synchronous, because the report is cut
 * and written synchronously; a run reads its texts back once, when it writes its report. `close`
 * removes the folder.
 */
export class FileTextStore implements TextStore {
  private folder: string | undefined;
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private offsets = new Float64Array(1024);
  private sizes = new Uint32Array(1024);
  private count = 0;

  constructor(private readonly dir: string) {}

  put(text: string): number {
    this.file();
    const size = Buffer.byteLength(text, "utf8");
    if (this.count === this.sizes.length) this.grow();
    this.offsets[this.count] = this.written + this.pendingBytes;
    this.sizes[this.count] = size;
    this.pending.push(text);
    this.pendingBytes += size;
    if (this.pendingBytes >= PIECE) this.flush();
    return this.count++;
  }

  get(id: number): string {
    if (id < 0 || id >= this.count) throw new Error(`no text ${id} in ${this.folder}`);
    const at = this.offsets[id] as number;
    const size = this.sizes[id] as number;
    // A text of the piece not written yet is still here: a small run never reads its file back.
    if (at >= this.written) return this.pending[id - (this.count - this.pending.length)] as string;
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(this.file(), buffer, read, size - read, at + read);
      if (n === 0) throw new Error(`text ${id} is cut short in ${this.folder}`);
      read += n;
    }
    return buffer.toString("utf8");
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.pending = [];
    this.count = 0;
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const piece = Buffer.from(this.pending.join(""), "utf8");
    let done = 0;
    while (done < piece.length)
      done += writeSync(this.file(), piece, done, piece.length - done, this.written + done);
    this.written += piece.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private file(): number {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.folder = mkdtempSync(join(this.dir, "eval-gate-texts-"));
      this.fd = openSync(join(this.folder, "texts"), "w+");
    }
    return this.fd;
  }

  private grow(): void {
    this.offsets = grown(this.offsets, this.offsets.length * 2);
    this.sizes = grown(this.sizes, this.sizes.length * 2);
  }
}
