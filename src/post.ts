// The entry point of the action's post step (dist/post.js): the logic is in src/main-post.ts.
import { run } from "./main-post.js";

await run();
