// The entry point of the action's main step (dist/index.js): the logic is in src/main.ts.
import { exitWhenFlushed } from "./adapters/process/exit.js";
import { run } from "./main.js";

await run();
// Everything the step writes is awaited by now; ending here skips Node's teardown (exit.ts).
await exitWhenFlushed();
