// The columns that hold many small records without an object each (the run stats, the parked
// texts, the response cache's places, the text spill): typed arrays, grown by copying.

/** The typed arrays a column is held in. */
export type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** A column of the same type with `length` entries: `column`'s first, zeros after. */
export function grown<T extends Column>(column: T, length: number): T {
  const next = new (column.constructor as new (length: number) => T)(length);
  next.set(column);
  return next;
}
