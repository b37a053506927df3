// Git objects read through one `git cat-file --batch` process per repository, instead of a `git`
// process per file: a pull request's base side reads its config, prompt, sets and grader files
// from git, and at two spawns a file that was most of the time before its first request.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

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
  /** The object being read: its header, and how many bytes (with the trailing newline) it has. */
  private current?: { oid: string; type: string; size: number };
  private failure?: Error;
  private stderr = "";

  constructor(private readonly root: string) {}

  /** The object `name` names, or null when git has none by that name. */
  get(name: string): Promise<GitObject | null> {
    // A name is one line of the batch's input.
    if (/[\n\r\0]/.test(name)) return Promise.resolve(null);
    if (this.failure) return Promise.reject(this.failure);
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
    const child = spawn("git", ["cat-file", "--batch"], { cwd: this.root, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    child.stdout.on("data", (d: Buffer) => this.take(d));
    child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString("utf8");
    });
    child.on("error", (e) => this.fail(e));
    child.stdin.on("error", (e) => this.fail(e));
    child.on("close", (code) =>
      this.fail(new Error(`git cat-file exited (${this.stderr.trim() || `exit ${code}`})`)),
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
        this.current = { oid: m[1] as string, type: m[2] as string, size: Number(m[3]) };
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

  private fail(e: Error): void {
    this.failure ??= e;
    this.child = undefined;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
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
