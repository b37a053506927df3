import { commentMarker } from "./render/comment.js";

/** The GitHub calls the sticky comment needs; the adapter speaks REST and GraphQL. */
export interface CommentStore {
  viewerLogin(): Promise<string>;
  listComments(issue: number): Promise<StoredComment[]>;
  createComment(issue: number, body: string): Promise<StoredComment>;
  updateComment(id: number, body: string): Promise<StoredComment>;
  deleteComment(id: number): Promise<void>;
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
 * identity; a comment by anyone else with the marker is left alone. Two runs racing on one PR can
 * both create a comment; after creating, the newer duplicates of ours are deleted and the oldest
 * kept, so every run converges on the same single comment.
 */
export async function upsertComment(
  store: CommentStore,
  issue: number,
  body: string,
  commentId: string,
): Promise<{ action: "created" | "updated"; comment: StoredComment }> {
  const marker = commentMarker(commentId);
  const login = await store.viewerLogin();
  const ours = async () =>
    (await store.listComments(issue))
      .filter((c) => c.login === login && c.body.includes(marker))
      .sort((a, b) => a.id - b.id);
  const existing = (await ours())[0];
  if (existing) return { action: "updated", comment: await store.updateComment(existing.id, body) };
  const created = await store.createComment(issue, body);
  const [keep, ...extra] = await ours();
  if (!keep || keep.id === created.id) return { action: "created", comment: created };
  for (const c of extra) await store.deleteComment(c.id).catch(() => undefined);
  return { action: "updated", comment: await store.updateComment(keep.id, body) };
}
