import { run } from "./action/main.js";
import { boundHeapGrowth } from "./adapters/heap-flags.js";
import { boundBacktracking } from "./adapters/regexp-flags.js";

boundBacktracking();
boundHeapGrowth();
await run();
