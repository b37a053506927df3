// Bundles the action and the CLI into committed, self-contained ESM files.
import { build } from "esbuild";

const banner = {
  js: [
    "import { createRequire as __evalGateCreateRequire } from 'node:module';",
    "const require = __evalGateCreateRequire(import.meta.url);",
  ].join("\n"),
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  banner,
  legalComments: "none",
  logLevel: "warning",
  // Keeps the bundles byte-identical from one build to the next (check-dist compares them).
  sourcemap: false,
  minifySyntax: true,
};

await build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js" });
await build({
  ...common,
  entryPoints: ["src/cli.ts"],
  outfile: "dist/cli.js",
  banner: { js: `#!/usr/bin/env node\n${banner.js}` },
});
