// How the action's main step ends. Left to itself, Node ends a process when its event loop runs
// dry, and then takes the environment and the V8 heap apart piece by piece before it goes: on a
// two-core runner that took 10-30 ms after the last output of a 1,000-case run (bench/README).
// By then every file, output and summary the step writes has been awaited, so the entry point
// ends the process itself, once what it printed has left: `process.exit()` skips the teardown
// and keeps `process.exitCode` (a failed check stays failed).

interface Flushable {
  readonly writableLength: number;
  readonly destroyed: boolean;
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
}

/** Waits (at most `limitMs`) for what was written to `stream` to be handed to the system. */
export function flushed(stream: Flushable, limitMs = 5_000): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    timer.unref();
    // Writes are handed on in order: an empty one is done once everything before it is.
    stream.write("", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Ends the process once stdout and stderr are flushed, with `process.exitCode` as its status. */
export async function exitWhenFlushed(
  streams: readonly Flushable[] = [process.stdout, process.stderr],
  exit: () => void = () => process.exit(),
): Promise<void> {
  await Promise.all(streams.map((s) => flushed(s)));
  exit();
}
