import { boundBacktracking } from "./adapters/regexp-flags.js";
import { main } from "./cli/main.js";

boundBacktracking();
process.exitCode = await main(process.argv.slice(2), process.env);
