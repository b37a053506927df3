import { contains } from "./contains.js";
import { exact } from "./exact.js";
import { jsonSchema } from "./json-schema.js";
import { regex } from "./regex.js";
import type { GraderDefinition } from "./types.js";

/** Every grader type by its `type` key; a new type is one more entry here. */
export const graderRegistry: Record<string, GraderDefinition> = {
  [exact.type]: exact,
  [contains.type]: contains,
  [regex.type]: regex,
  [jsonSchema.type]: jsonSchema,
};
