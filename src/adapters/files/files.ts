import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UserError } from "../../core/errors.js";

/**
 * Writes through a temporary file and a rename, so a killed run never leaves half a file. The text
 * may come in pieces (reportText), written one after the other.
 */
export async function writeAtomic(path: string, text: string | Iterable<string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * The shards' partial results: every `*.json` file in `path` (a folder, searched recursively, as
 * download-artifact leaves them) or `path` itself when it is a file.
 */
export async function readPartials(path: string): Promise<{ file: string; value: unknown }[]> {
  const info = await stat(path).catch(() => null);
  if (!info)
    throw new UserError(`${path} does not exist`, {
      field: "merge",
      fix: "Download the shards' artifacts there first.",
      cli: {
        field: "eval-gate merge",
        fix: "Pass the partial result files the shards wrote, or their folder.",
      },
    });
  const files = info.isDirectory()
    ? (await readdir(path, { recursive: true }))
        .filter((f) => String(f).endsWith(".json"))
        .map((f) => join(path, String(f)))
    : [path];
  const out: { file: string; value: unknown }[] = [];
  for (const file of files.sort()) {
    try {
      out.push({ file, value: JSON.parse(await readFile(file, "utf8")) });
    } catch (e) {
      throw new UserError(`not valid JSON (${(e as Error).message})`, { file });
    }
  }
  return out;
}
