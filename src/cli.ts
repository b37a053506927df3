import { boundHeapGrowth } from "./adapters/heap-flags.js";
import { boundBacktracking } from "./adapters/regexp-flags.js";
import { main } from "./cli/main.js";

boundBacktracking();
boundHeapGrowth();
process.exitCode = await main(process.argv.slice(2), process.env);
