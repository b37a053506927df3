import { grown } from "../../core/columns.js";

/**
 * Where each answer of the response cache is: its segment file, its line's offset and length in
 * bytes, and whether this run used it. Columns rather than an object an answer: a run of 100,000
 * answers holds ~20 bytes each here, besides its key.
 */
export class Places {
  private files = new Uint16Array(1024);
  private offsets = new Float64Array(1024);
  private sizes = new Uint32Array(1024);
  private used = new Uint8Array(1024);
  count = 0;

  add(file: number, offset: number, size: number): number {
    if (this.count === this.sizes.length) this.grow();
    this.files[this.count] = file;
    this.offsets[this.count] = offset;
    this.sizes[this.count] = size;
    return this.count++;
  }

  use(id: number): void {
    this.used[id] = 1;
  }

  isUsed(id: number): boolean {
    return this.used[id] === 1;
  }

  fileOf(id: number): number {
    return this.files[id] as number;
  }

  offsetOf(id: number): number {
    return this.offsets[id] as number;
  }

  sizeOf(id: number): number {
    return this.sizes[id] as number;
  }

  private grow(): void {
    const n = this.sizes.length * 2;
    this.files = grown(this.files, n);
    this.offsets = grown(this.offsets, n);
    this.sizes = grown(this.sizes, n);
    this.used = grown(this.used, n);
  }
}
