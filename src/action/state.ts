/**
 * What the main step hands to the `post:` step. The runner reads GITHUB_STATE after the main step
 * ends, however it ended (also when it was cancelled or killed), and gives each value to the post
 * step as `STATE_<name>`; so the cache's place is written as soon as it is known, not at the end.
 */
export const State = {
  /** The response cache folder, as the main step computed it. */
  cacheDir: "cache-dir",
  /** The cache key's scope (comment-id, and the shard): one place computes it, the post step reuses it. */
  cacheScope: "cache-scope",
  /** When the restored cache was in place (ms since the epoch): files changed after it are this run's. */
  cacheSince: "cache-since",
  /** `true` once the main step saved the Actions cache, or decided there was nothing to save. */
  cacheSaved: "cache-saved",
  /** The signal that cancelled the main step (SIGINT, SIGTERM). */
  cancelled: "cancelled",
} as const;
