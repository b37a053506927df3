import { contains } from "./contains.js";
import { exact } from "./exact.js";
import { jsonSchema } from "./json-schema.js";
import { judge } from "./judge.js";
import { regex } from "./regex.js";
import { script } from "./script.js";
import { similarity } from "./similarity.js";
import { toolCalls } from "./tool-calls.js";
import type { GraderDefinition } from "./types.js";

/** Every grader type by its `type` key; a new type is one more entry here. */
export const graderRegistry: Record<string, GraderDefinition> = {
  [exact.type]: exact,
  [contains.type]: contains,
  [regex.type]: regex,
  [jsonSchema.type]: jsonSchema,
  [similarity.type]: similarity,
  [judge.type]: judge,
  [script.type]: script,
  [toolCalls.type]: toolCalls,
};
