// The entry point of the action's main step (dist/index.js): the logic is in src/main.ts.
import { run } from "./main.js";

await run();
