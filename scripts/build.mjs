// Bundles the action (its main and post steps) and the CLI into committed ESM files. Shared code
// and the clients that only some runs need (GitHub, the Actions cache) go into chunks loaded on
// first use, which keeps the action's start-up short.
import { chmodSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Replaces a module that @actions/core imports (`file`) with `contents` (as `stub`), for core only. */
const coreStub = (name, file, stub, contents) => ({
  name,
  setup(b) {
    b.onResolve({ filter: file }, (args) =>
      args.importer.includes("@actions/core") ? { path: stub, namespace: name } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: name }, () => ({ contents, loader: "js" }));
  },
});

// @actions/core's OIDC client is the one thing that pulls undici (an HTTP stack of ~750 KB) into
// start-up; eval-gate never asks for an OIDC token, so that module is replaced by a stub.
const noOidc = coreStub(
  "no-oidc",
  /oidc-utils\.js$/,
  "oidc-stub",
  "export class OidcClient { static getIDToken() { throw new Error('OIDC tokens are not available in eval-gate'); } }",
);

// @actions/core re-exports `platform`, whose getDetails() runs commands through @actions/exec; that
// import put @actions/exec and @actions/io (and with them node:child_process, node:assert and
// node:timers) into every start-up. eval-gate never asks core for the platform, so core gets the
// same constants and a getDetails() that says so; @actions/cache, which does run commands, still
// bundles @actions/exec into its own lazily loaded chunk.
const noPlatformDetails = coreStub(
  "no-platform-details",
  /platform\.js$/,
  "platform-stub",
  [
    'import os from "node:os";',
    "export const platform = os.platform();",
    "export const arch = os.arch();",
    'export const isWindows = platform === "win32";',
    'export const isMacOS = platform === "darwin";',
    'export const isLinux = platform === "linux";',
    "export function getDetails() { throw new Error('platform details are not available in eval-gate'); }",
  ].join("\n"),
);

// yaml's package exports a CommonJS build to Node; esbuild cannot tree-shake it and wraps each of
// its files in a loader. The same library's ES module build (the one it gives other bundlers) is
// the same code without those wrappers: ~30 KB less to compile at every start-up.
const yamlEsm = {
  name: "yaml-esm",
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({
      path: fileURLToPath(import.meta.resolve("yaml/package.json")).replace(
        /package\.json$/,
        "browser/index.js",
      ),
    }));
  },
};

// ajv (with fast-uri, about 190 KB) is a quarter of what the action would compile at start-up, and
// only a config with a json_schema grader uses it. The bundle gets a stand-in whose classes
// require dist/chunks/ajv.cjs, built below, when first constructed; the sources and the tests
// import ajv as usual.
const AJV_FILE = "ajv.cjs";
const lazyAjv = {
  name: "lazy-ajv",
  setup(b) {
    b.onResolve({ filter: /^ajv(\/dist\/2020\.js)?$/ }, (args) =>
      args.importer.endsWith("json-schema.ts") ? { path: args.path, namespace: "lazy-ajv" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-ajv" }, (args) => {
      const name = args.path === "ajv" ? "Ajv" : "Ajv2020";
      return {
        contents: [
          'import { createRequire } from "node:module";',
          'import { fileURLToPath } from "node:url";',
          "let ajv;",
          `const load = () => (ajv ??= createRequire(import.meta.url)(fileURLToPath(new URL("./${AJV_FILE}", import.meta.url))));`,
          `export const ${name} = new Proxy(function ${name}() {}, {`,
          `  construct: (_, args) => new (load().${name})(...args),`,
          "});",
        ].join("\n"),
        loader: "js",
      };
    });
  },
};

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { index: "src/index.ts", post: "src/post.ts", cli: "src/cli.ts" },
  plugins: [noOidc, noPlatformDetails, yamlEsm, lazyAjv],
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
// The stand-in finds ajv.cjs beside itself: it must have landed in a chunk, not in an entry file.
const standIns = readdirSync("dist", { recursive: true })
  .map((file) => join("dist", String(file)))
  .filter((path) => path.endsWith(".js") && readFileSync(path, "utf8").includes(`"./${AJV_FILE}"`));
if (standIns.length === 0)
  throw new Error("the ajv stand-in is in no file of dist/: was json-schema.ts moved?");
for (const path of standIns)
  if (dirname(path) !== join("dist", "chunks"))
    throw new Error(`the ajv stand-in landed in ${path}; it must be in dist/chunks/ beside ${AJV_FILE}`);
await build({
  stdin: {
    contents: 'export { Ajv } from "ajv"; export { Ajv2020 } from "ajv/dist/2020.js";',
    resolveDir: ".",
    loader: "js",
  },
  outfile: join("dist", "chunks", AJV_FILE),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  legalComments: "none",
  logLevel: "warning",
  minifySyntax: true,
  minifyWhitespace: true,
});
// `eval-gate` runs dist/cli.js directly (npm links it as a bin, npx marks it executable when it is
// not): the build writes it executable, so a fresh build and the committed mode (100755) agree.
chmodSync("dist/cli.js", 0o755);
