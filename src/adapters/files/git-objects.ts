// Git objects read through one `git cat-file --batch` process per repository, instead of a `git`
// process per file: a pull request's base side reads its config, prompt, sets and grader files
// from git, and at two spawns a file that was most of the time before its first request.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { lazyChildProcess } from "../process/builtin.js";

/** An object as `git cat-file --batch` gives it: its id, type and bytes. */
export interface GitObject {
  oid: string;
  type: string;
  data: Buffer;
}

/** One entry of a tree object. */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

/** The largest object read (as `git`'s output buffer was before): a set file is far smaller. */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

interface Pending {
  resolve(object: GitObject | null): void;
  reject(e: Error): void;
}

/**
 * Asks one long-lived `git cat-file --batch` for objects by name (`<sha>:<path>`, an object id);
 * answers come back in the order asked. The process is spawned on the first request, holds the
 * event loop only while a request waits, and ends with this process (its input closes).
 */
export class GitObjects {
  private child?: ChildProcessWithoutNullStreams;
  private readonly waiting: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The object being read: its header, and whether its bytes are passed over (too large). */
  private current?: { oid: string; type: string; size: number; skip: boolean; skipped: number };
  private stderr = "";

  constructor(
    private readonly root: string,
    private readonly maxObjectBytes = MAX_OBJECT_BYTES,
  ) {}

  /** The object `name` names, or null when git has none by that name. */
  get(name: string): Promise<GitObject | null> {
    // A name is one line of the batch's input.
    if (/[\n\r\0]/.test(name)) return Promise.resolve(null);
    const child = this.process();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (this.waiting.length === 1) this.hold(true);
      child.stdin.write(`${name}\n`);
    });
  }

  /** The entries of the tree `name` names, or null when it names no tree. */
  async tree(name: string): Promise<TreeEntry[] | null> {
    const object = await this.get(name);
    return object?.type === "tree" ? parseTree(object.data, object.oid.length / 2) : null;
  }

  private process(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = lazyChildProcess().spawn("git", ["cat-file", "--batch"], {
      cwd: this.root,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    // A process that failed may still speak or close after the next one started: it is not heard.
    const mine = () => this.child === child;
    child.stdout.on("data", (d: Buffer) => {
      if (mine()) this.take(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      if (mine()) this.stderr += d.toString("utf8");
    });
    const failed = (e: Error) => {
      if (mine()) this.fail(e);
    };
    child.on("error", failed);
    child.stdin.on("error", failed);
    child.on("close", (code) =>
      failed(new Error(`git cat-file exited (${this.stderr.trim() || `exit ${code}`})`)),
    );
    child.unref();
    this.hold(false);
    return child;
  }

  /** Keeps the event loop alive while an answer is awaited, and only then. */
  private hold(on: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      const handle = stream as unknown as { ref?(): void; unref?(): void };
      if (on) handle.ref?.();
      else handle.unref?.();
    }
  }

  private take(data: Buffer): void {
    if (this.current?.skip) {
      // An object too large to hold: its bytes pass by uncounted until it ends.
      const left = this.current.size + 1 - this.current.skipped;
      if (data.length < left) {
        this.current.skipped += data.length;
        return;
      }
      data = data.subarray(left);
      this.current = undefined;
      this.fault(
        new Error(`a file in git is larger than ${this.maxObjectBytes} bytes, the most eval-gate reads`),
      );
    }
    this.chunks.push(data);
    this.buffered += data.length;
    for (;;) {
      if (!this.current) {
        const all = this.joined();
        const nl = all.indexOf(10);
        if (nl === -1) return;
        const header = all.toString("utf8", 0, nl);
        this.keep(all.subarray(nl + 1));
        const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
        if (!m) {
          // `<name> missing`, `<name> ambiguous`: no object by that name.
          this.answer(null);
          continue;
        }
        const size = Number(m[3]);
        this.current = { oid: m[1] as string, type: m[2] as string, size, skip: false, skipped: 0 };
        if (size > this.maxObjectBytes) {
          this.current.skip = true;
          const rest = this.joined();
          this.keep(Buffer.alloc(0));
          this.take(rest);
          return;
        }
      }
      const { oid, type, size } = this.current;
      if (this.buffered < size + 1) return;
      const all = this.joined();
      const object = { oid, type, data: Buffer.from(all.subarray(0, size)) };
      this.keep(all.subarray(size + 1));
      this.current = undefined;
      this.answer(object);
    }
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] as Buffer;
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  private answer(object: GitObject | null): void {
    const next = this.waiting.shift();
    if (this.waiting.length === 0) this.hold(false);
    next?.resolve(object);
  }

  /** The request being answered fails; the ones after it go on. */
  private fault(e: Error): void {
    const next = this.waiting.shift();
    if (this.waiting.length === 0) this.hold(false);
    next?.reject(e);
  }

  /**
   * The process is gone (git missing, killed, or exited): what waits fails with why, and the
   * next request starts a new process.
   */
  private fail(e: Error): void {
    if (!this.child) return;
    this.child = undefined;
    this.chunks = [];
    this.buffered = 0;
    this.current = undefined;
    this.stderr = "";
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
}

/** A tree object's entries: `<mode> <name>\0<id>` each, the id `idBytes` raw bytes. */
export function parseTree(data: Buffer, idBytes: number): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(32, at);
    const nul = data.indexOf(0, space + 1);
    if (space === -1 || nul === -1 || nul + 1 + idBytes > data.length) break;
    entries.push({
      mode: data.toString("latin1", at, space),
      name: data.toString("utf8", space + 1, nul),
      oid: data.toString("hex", nul + 1, nul + 1 + idBytes),
    });
    at = nul + 1 + idBytes;
  }
  return entries;
}
