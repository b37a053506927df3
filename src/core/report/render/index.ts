export { type CommentOptions, commentMarker, DEFAULT_COMMENT_MAX_CHARS, renderComment } from "./comment.js";
export { codeBlock, htmlText, inlineText, plainText } from "./escape.js";
export {
  bySeverity,
  percent,
  points,
  pValue,
  STATUS_ICON,
  STATUS_WORD,
  statusLabel,
  VERDICT_ICON,
  verdictLabel,
  worstFirst,
  worstSlice,
} from "./format.js";
export { DEFAULT_SUMMARY_MAX_CHARS, renderSummary, type SummaryOptions } from "./summary.js";
export { renderTerminal, type TerminalOptions } from "./terminal.js";
