// Bundles the action (its main and post steps) and the CLI into committed ESM files. Shared code
// and the clients that only some runs need (GitHub, the Actions cache) go into chunks loaded on
// first use, which keeps the action's start-up short.
import { chmodSync, rmSync } from "node:fs";
import { build } from "esbuild";

// @actions/core's OIDC client is the one thing that pulls undici (an HTTP stack of ~750 KB) into
// start-up; eval-gate never asks for an OIDC token, so that module is replaced by a stub.
const noOidc = {
  name: "no-oidc",
  setup(b) {
    b.onResolve({ filter: /oidc-utils\.js$/ }, (args) =>
      args.importer.includes("@actions/core") ? { path: "oidc-stub", namespace: "no-oidc" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "no-oidc" }, () => ({
      contents:
        "export class OidcClient { static getIDToken() { throw new Error('OIDC tokens are not available in eval-gate'); } }",
      loader: "js",
    }));
  },
};

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { index: "src/index.ts", post: "src/post.ts", cli: "src/cli.ts" },
  plugins: [noOidc],
  outdir: "dist",
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  platform: "node",
  target: "node20",
  format: "esm",
  banner: {
    // The shebang makes dist/cli.js runnable as `eval-gate`; bundled CommonJS needs `require`.
    js: [
      "#!/usr/bin/env node",
      "import { createRequire as __evalGateCreateRequire } from 'node:module';",
      "const require = __evalGateCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  legalComments: "none",
  logLevel: "warning",
  sourcemap: false,
  minifySyntax: true,
  minifyWhitespace: true,
});
// `eval-gate` runs dist/cli.js directly (npm links it as a bin, npx marks it executable when it is
// not): the build writes it executable, so a fresh build and the committed mode (100755) agree.
chmodSync("dist/cli.js", 0o755);
