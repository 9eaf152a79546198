/**
 * The production build of a Node process (the API, the worker, the bench's
 * worker): each entry becomes one ESM file that plain `node` runs, with no
 * TypeScript loader in the process.
 *
 * - The workspace packages (`@conveyor/*`) export TypeScript sources, so they
 *   are bundled in.
 * - Every other package stays an `import` that node resolves from the app's
 *   `node_modules` at run time (graphile-worker, pg, postgres, pino, …): each
 *   must therefore be a `dependency` of the app itself, which the build checks,
 *   because pnpm gives a package only what it declares.
 * - A bundle that contains `@conveyor/db`'s migrator gets the committed
 *   migrations copied beside it (`<outdir>/migrations`), where the migrator
 *   looks first.
 *
 * Files are written under a temporary name and renamed into place, so a
 * process starting from the same `dist` while another build runs (the bench,
 * a test) reads either the old file or the new one, never half of one.
 *
 * From a package's folder: `tsx ../../scripts/build-node-app.ts src/main.ts [more entries]`
 * writes `dist/main.js` (named after each entry's file).
 */
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const migrator = join(repoRoot, "packages/db/src/migrate.ts");
const migrationsSource = join(repoRoot, "packages/db/migrations");

export interface NodeAppBuild {
  /** The package's folder: its package.json must list every package the bundles leave external. */
  root: string;
  /** Source files relative to `root`; each becomes `<outdir>/<file name>.js`. */
  entries: string[];
  /**
   * Where the bundles go (default: `<root>/dist`). Keep it inside `root`: node looks for the
   * external packages in the `node_modules` folders above the bundle.
   */
  outdir?: string;
}

export interface NodeAppOutput {
  /** Absolute paths of the bundles, one per entry, in the order of `entries`. */
  files: string[];
  /** Milliseconds the build took. */
  ms: number;
}

export async function buildNodeApp({ root, entries, outdir = join(root, "dist") }: NodeAppBuild): Promise<NodeAppOutput> {
  const started = performance.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries.map((entry) => ({ in: entry, out: basename(entry, extname(entry)) })),
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Stack traces stay readable without source maps (nothing is minified); the maps are for debuggers.
    sourcemap: "linked",
    plugins: [externalPackages],
    metafile: true,
    write: false,
    logLevel: "warning",
  });
  checkDependencies(root, result.metafile);

  await mkdir(outdir, { recursive: true });
  for (const file of result.outputFiles) await writeAtomically(file.path, file.contents);
  if (Object.keys(result.metafile.inputs).some((input) => resolve(root, input) === migrator)) {
    await copyAtomically(migrationsSource, join(outdir, "migrations"));
  }
  return {
    files: entries.map((entry) => join(outdir, `${basename(entry, extname(entry))}.js`)),
    ms: Math.round(performance.now() - started),
  };
}

/** Bare imports other than the workspace's own packages (and `#` subpath imports) are left to node. */
const externalPackages: Plugin = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./#]/ }, (args) => (args.path.startsWith("@conveyor/") ? undefined : { path: args.path, external: true }));
  },
};

/** Fail the build, naming the importing files, when a package left external is not a dependency of the app. */
function checkDependencies(root: string, metafile: Metafile): void {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const declared = new Set(Object.keys(manifest.dependencies ?? {}));
  const missing = new Map<string, Set<string>>();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const { path, external } of imports) {
      if (!external || isBuiltin(path)) continue;
      const name = packageName(path);
      if (declared.has(name)) continue;
      missing.set(name, (missing.get(name) ?? new Set()).add(relative(repoRoot, resolve(root, input))));
    }
  }
  if (missing.size === 0) return;
  const lines = [...missing].map(([name, importers]) => `  ${name} (imported by ${[...importers].join(", ")})`);
  throw new Error(
    `${relative(repoRoot, root) || "."}: the bundle imports packages its package.json does not list in "dependencies", ` +
      `so node would not find them in production:\n${lines.join("\n")}`,
  );
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

async function writeAtomically(path: string, contents: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/** Copy a folder file by file, each file replaced atomically (files only the target has are left). */
async function copyAtomically(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const source = join(entry.parentPath, entry.name);
    await writeAtomically(join(to, relative(from, source)), await readFile(source));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entries = process.argv.slice(2);
  if (entries.length === 0) {
    console.error("usage: tsx scripts/build-node-app.ts <entry.ts> [more entries]   (from the package's folder)");
    process.exit(1);
  }
  try {
    const { files, ms } = await buildNodeApp({ root: process.cwd(), entries });
    console.log(`built ${files.map((file) => relative(process.cwd(), file)).join(", ")} in ${ms} ms`);
  } catch (error) {
    // esbuild has already printed its own errors; ours (a missing dependency) is printed here, without a stack.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
