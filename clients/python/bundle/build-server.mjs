#!/usr/bin/env node
// Builds the daisychain server (the CLI src/cli/main.ts, whose `serve` the
// Python driver starts) into one ES module for the Python package, with
// esbuild, straight from the TypeScript in src/ (no tsc needed first):
//
//   clients/python/src/daisychain/_server/daisychain-server.mjs
//   clients/python/src/daisychain/_server/assets/...            .proto files read at run time
//   clients/python/src/daisychain/_server/THIRD-PARTY-LICENSES.txt
//
// Run by the Python package's build (clients/python/setup.py) and by
// `npm run bundle:python`; `--out-dir DIR` writes elsewhere. The files are
// generated, never committed (.gitignore). See clients/python/bundle/README.md.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { values } = parseArgs({ options: { 'out-dir': { type: 'string' }, quiet: { type: 'boolean' } } });
const outDir = resolve(values['out-dir'] ?? join(root, 'clients/python/src/daisychain/_server'));
const BUNDLE = 'daisychain-server.mjs';
/** Every file the bundle was made from, with its size and mtime: setup.py skips bundling while none changed. */
const INPUTS = '.build-inputs.json';

/**
 * Every bundled module that uses `__dirname` (which an ES module has not): it
 * reads files beside itself at run time. Its `__dirname` becomes the mirror of
 * its folder under `assets/`, and the files it reads are copied there. A new
 * module that uses `__dirname` fails the build until it is listed here.
 */
const DIRNAME_USERS = {
  // Loads its .proto when the module loads.
  'node_modules/grpc-health-check/build/src/health.js': ['node_modules/grpc-health-check/proto/health/v1/health.proto'],
  // Load theirs when a ReflectionService is made (src/server/reflection.ts).
  'node_modules/@grpc/reflection/build/src/implementations/reflection-v1.js': ['node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'],
  'node_modules/@grpc/reflection/build/src/implementations/reflection-v1alpha.js': [
    'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto',
  ],
  // Only for the channelz admin service and ORCA load reports, which daisychain never registers.
  'node_modules/@grpc/grpc-js/build/src/channelz.js': [],
  'node_modules/@grpc/grpc-js/build/src/orca.js': [],
};

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  fail(`esbuild is not installed in ${join(root, 'node_modules')}: run \`npm ci\` at the repository root first`);
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const seenDirnameUsers = new Set();

/** Gives each module in DIRNAME_USERS a `__dirname` of its own under assets/; refuses any other module that uses it. */
const dirnamePlugin = {
  name: 'daisychain-dirname',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(contents)) return undefined;
      const path = relative(root, args.path).split(sep).join('/');
      if (!(path in DIRNAME_USERS)) {
        return { errors: [{ text: `${path} uses __dirname or __filename, so it reads files beside it at run time: list it and the files it needs in DIRNAME_USERS (clients/python/bundle/build-server.mjs)` }] };
      }
      seenDirnameUsers.add(path);
      const dir = JSON.stringify(dirname(path));
      // A CommonJS module is wrapped in a function by esbuild: these are its own.
      const prologue = `var __dirname = __daisychainAsset(${dir}), __filename = __daisychainAsset(${JSON.stringify(path)});`;
      return { contents: prologue + contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

// An ES module has no `require` (esbuild's shim calls it for Node's built-in
// modules required by CommonJS dependencies) and no `__dirname`.
const banner = [
  "import { createRequire as __daisychainCreateRequire } from 'node:module';",
  "import { fileURLToPath as __daisychainFileURLToPath } from 'node:url';",
  'const require = __daisychainCreateRequire(import.meta.url);',
  "const __daisychainAsset = (path) => __daisychainFileURLToPath(new URL('./assets/' + path, import.meta.url));",
].join('\n');

const started = performance.now();
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: `node${manifest.engines.node.replace(/^>=\s*/, '')}`,
  // Whitespace and syntax only: the names stay, so a stack trace still says
  // which function threw (the column locates it).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none', // THIRD-PARTY-LICENSES.txt carries every bundled package's license
  banner: { js: banner },
  define: { DAISYCHAIN_BUNDLED_VERSION: JSON.stringify(manifest.version) },
  plugins: [dirnamePlugin],
  metafile: true,
  write: false,
  logLevel: 'warning',
}).catch(() => fail('esbuild failed (its errors are above)'));

for (const path of Object.keys(DIRNAME_USERS)) {
  // A listed module no longer bundled: its entry (and its assets) are stale.
  if (!seenDirnameUsers.has(path) && DIRNAME_USERS[path].length > 0) fail(`${path} is listed in DIRNAME_USERS but no longer bundled: update the list`);
}

// Written beside the target and renamed over it, so a reader (or a build that
// runs at the same time) never sees half a bundle.
const staging = `${outDir}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
const [output] = result.outputFiles;
writeFileSync(join(staging, BUNDLE), output.contents, { mode: 0o644 });
for (const path of seenDirnameUsers) {
  for (const asset of DIRNAME_USERS[path]) {
    const target = join(staging, 'assets', asset);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(join(root, asset)));
  }
}
writeFileSync(join(staging, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile));
writeFileSync(join(staging, INPUTS), buildInputs(result.metafile));
rmSync(outDir, { recursive: true, force: true });
renameSync(staging, outDir);

if (!values.quiet) {
  const kib = (output.contents.byteLength / 1024).toFixed(0);
  console.error(`bundle:python: ${relative(process.cwd(), join(outDir, BUNDLE)) || BUNDLE} (${kib} KiB) in ${(performance.now() - started).toFixed(0)} ms`);
}

/** INPUTS: the bundled sources, the assets, and what else decides the output (this script, esbuild, package.json, the lock). */
function buildInputs(metafile) {
  const files = new Set([...Object.keys(metafile.inputs), ...[...seenDirnameUsers].flatMap((path) => DIRNAME_USERS[path])]);
  for (const path of [relative(root, fileURLToPath(import.meta.url)), 'package.json', 'package-lock.json', 'node_modules/esbuild/package.json']) files.add(path);
  const stats = [...files].sort().map((path) => {
    const stat = statSync(join(root, path), { bigint: true });
    return [path.split(sep).join('/'), Number(stat.size), String(stat.mtimeNs)];
  });
  return `${JSON.stringify({ esbuild: esbuild.version, files: stats }, null, 0)}\n`;
}

/** The license text of every npm package with code in the bundle, by package. */
function thirdPartyLicenses(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const parts = input.split('/');
    const at = parts.lastIndexOf('node_modules');
    if (at < 0) continue;
    const depth = parts[at + 1].startsWith('@') ? 3 : 2;
    const dir = parts.slice(0, at + depth).join('/');
    packages.set(dir, parts.slice(at + 1, at + depth).join('/'));
  }
  const sections = [...packages].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  let text = `daisychain-server.mjs bundles daisychain ${manifest.version} (MIT) and these npm packages:\n`;
  for (const [dir, name] of sections) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const file = readdirSync(join(root, dir)).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f));
    text += `\n${'='.repeat(78)}\n${name} ${pkg.version} (${pkg.license ?? 'license not stated'})\n${'='.repeat(78)}\n`;
    text += file === undefined ? '(no license file in the package)\n' : `${readFileSync(join(root, dir, file), 'utf8').trim()}\n`;
  }
  return text;
}

function fail(message) {
  console.error(`bundle:python: ${message}`);
  process.exit(1);
}
