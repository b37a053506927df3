import { commentMarker } from "./render/comment.js";

/** The GitHub calls the sticky comment needs; the adapter speaks REST and GraphQL. */
export interface CommentStore {
  viewerLogin(): Promise<string>;
  listComments(issue: number): Promise<StoredComment[]>;
  createComment(issue: number, body: string): Promise<StoredComment>;
  updateComment(id: number, body: string): Promise<StoredComment>;
}

export interface StoredComment {
  id: number;
  body: string;
  login: string;
  url: string;
}

export { commentMarker };

/**
 * Creates or updates the one comment that carries the marker AND was written by the token's own
 * identity; a comment by anyone else with the marker is left alone. When a race left two of ours,
 * the oldest is updated so every rerun converges on the same comment.
 */
export async function upsertComment(
  store: CommentStore,
  issue: number,
  body: string,
  commentId: string,
): Promise<{ action: "created" | "updated"; comment: StoredComment }> {
  const marker = commentMarker(commentId);
  const [login, comments] = await Promise.all([store.viewerLogin(), store.listComments(issue)]);
  const ours = comments
    .filter((c) => c.login === login && c.body.includes(marker))
    .sort((a, b) => a.id - b.id);
  const existing = ours[0];
  if (existing) return { action: "updated", comment: await store.updateComment(existing.id, body) };
  return { action: "created", comment: await store.createComment(issue, body) };
}
