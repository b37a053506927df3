export function reportJsonSchema(): Promise<string>;
