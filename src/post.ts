import { runPost } from "./action/post-cache.js";

await runPost();
