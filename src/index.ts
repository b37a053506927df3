import { run } from "./action/main.js";
import { boundBacktracking } from "./adapters/regexp-flags.js";

boundBacktracking();
await run();
