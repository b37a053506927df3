import { boundBacktracking } from "./adapters/patterns/regexp-flags.js";
import { boundHeapGrowth } from "./adapters/process/heap-flags.js";
import { main } from "./cli/main.js";

boundBacktracking();
boundHeapGrowth();
process.exitCode = await main(process.argv.slice(2), process.env);
