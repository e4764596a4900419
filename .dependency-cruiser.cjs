/**
 * The layer order of src/, checked by dependency-cruiser (`npm run lint:layers`,
 * run by tests/run-all.sh), as README.md's Layout section states it.
 *
 * The order is stated once, in LAYERS below; every forbidden rule is generated
 * from it. A folder may import its own modules and the folders to its left,
 * never one to its right, so that the model stays usable without the
 * scheduler, the scheduler without gRPC, the server without the client, and so
 * on up to the CLI. The check runs on the TypeScript sources (tsconfig.json
 * resolves the NodeNext './x.js' specifiers to './x.ts'), and with
 * tsPreCompilationDeps type-only imports count too: a type-only upward import
 * still couples a lower layer to a higher one.
 */

/** Left to right: each folder may import only the folders before it. Folders in one entry sit side by side and must not import each other. */
const LAYERS = [
  ['geometry'], // Coordinate, Roi
  ['model'], // Block, Task, TaskState
  ['dependencies'], // the block dependency graph
  ['scheduler'],
  ['wire'], // protobuf <-> model conversions; the only user of src/gen
  ['server', 'client'], // the two ends of the protocol: neither knows the other
  ['workers'], // worker pools and launchers
  ['pipelines'], // many pipelines in one server: the control plane, the one pipeline schema
  ['state'], // a server's state directory: its pipelines brought back after a crash
  ['run'], // runBlockwise: server + workers in one call
  ['cli'], // nothing in src imports the CLI
];

/**
 * Folders beside the chain: libraries that build on geometry (tracking also on the
 * model's types and arrays' atomic writes), so that they
 * can be used (and later split off) without the scheduler. `importedBy` lists
 * the chain folders allowed to use them; the scheduling core up to
 * server|client stays free of storage code (zarrita, h5wasm, mongodb, sqlite).
 */
const SIDE_FOLDERS = {
  arrays: { mayImport: ['geometry'] }, // Zarr, N5, HDF5
  'spatial-graphs': { mayImport: ['geometry'] }, // graph DB providers
  tracking: { mayImport: ['geometry', 'model', 'arrays'] }, // done markers in daisy 2.0.0's layout (arrays: its atomic file writes)
};
const SIDE_IMPORTERS = ['workers', 'pipelines', 'state', 'run', 'cli'];

/** Generated protobuf-es code: imported only by WIRE, so that the protocol's shapes stay out of every other layer. */
const GEN = 'gen';
const WIRE = 'wire';

/** Top-level entry modules (package.json "exports"): they may import any folder but cli. */
const ENTRIES = ['index.ts', 'core.ts', 'core-api.ts'];

// ---------------------------------------------------------------------------

const CHAIN = LAYERS.flat();
const KNOWN = [...CHAIN, ...Object.keys(SIDE_FOLDERS), GEN];
const folders = (names) => `^src/(${names.join('|')})/`;
const chainText = LAYERS.map((layer) => layer.join(' | ')).join(' ← ');

const forbidden = [];

// Rule names are unique: the report looks a rule's comment up by its name.
LAYERS.forEach((layer, rank) => {
  const left = LAYERS.slice(0, rank).flat();
  const right = LAYERS.slice(rank + 1).flat();
  for (const folder of layer) {
    // A folder's index.ts (a subpath export such as 'daisychain/client') is held to its folder's rules too.
    const from = { path: `^src/${folder}/` };
    if (right.length > 0) {
      forbidden.push({
        name: `upward-import-from-${folder}`,
        comment: `src/${folder}/ imports only the folders to its left (${left.join(', ') || 'none'}) in the layer order ${chainText}.`,
        severity: 'error',
        from,
        to: { path: folders(right) },
      });
    }
    const siblings = layer.filter((other) => other !== folder);
    if (siblings.length > 0) {
      forbidden.push({
        name: `sideways-import-from-${folder}`,
        comment: `src/${folder}/ may not import ${siblings.join(', ')}: they sit side by side (${layer.join(' | ')}) in the layer order ${chainText}.`,
        severity: 'error',
        from,
        to: { path: folders(siblings) },
      });
    }
  }
});

const sideNames = Object.keys(SIDE_FOLDERS);
const chainNotImportingSide = CHAIN.filter((folder) => !SIDE_IMPORTERS.includes(folder));
forbidden.push({
  name: 'core-imports-side-folder',
  comment: `src/{${chainNotImportingSide.join(',')}}/ may not import ${sideNames.join(', ')}: only ${SIDE_IMPORTERS.join(', ')} and the entry modules use them.`,
  severity: 'error',
  from: { path: folders(chainNotImportingSide) },
  to: { path: folders(sideNames) },
});
for (const [side, { mayImport }] of Object.entries(SIDE_FOLDERS)) {
  forbidden.push({
    name: `side-folder-import-from-${side}`,
    comment: `src/${side}/ may import only ${mayImport.join(', ')} besides itself.`,
    severity: 'error',
    from: { path: `^src/${side}/` },
    to: { path: '^src/', pathNot: folders([side, ...mayImport]) },
  });
}

forbidden.push(
  {
    name: 'gen-outside-wire',
    comment: `Only src/${WIRE}/ imports the generated code in src/${GEN}/: convert to and from the model there.`,
    severity: 'error',
    from: { path: '^src/', pathNot: folders([WIRE, GEN]) },
    to: { path: `^src/${GEN}/` },
  },
  {
    name: 'gen-imports-src',
    comment: `Generated code in src/${GEN}/ imports only itself (and @bufbuild/protobuf).`,
    severity: 'error',
    from: { path: `^src/${GEN}/` },
    to: { path: '^src/', pathNot: `^src/${GEN}/` },
  },
  {
    name: 'imports-entry-module',
    comment: `Folders do not import the entry modules src/{${ENTRIES.join(',')}} (nor any other file directly in src/): import the folder that defines the thing.`,
    severity: 'error',
    from: { path: '^src/[^/]+/' },
    to: { path: '^src/[^/]+$' },
  },
  {
    name: 'entry-imports-cli',
    comment: 'Nothing in src imports src/cli/: it is the top of the layer order.',
    severity: 'error',
    from: { path: '^src/[^/]+$' },
    to: { path: '^src/cli/' },
  },
  {
    name: 'imports-tests-or-bench',
    comment: 'Nothing in src imports tests/ or bench/.',
    severity: 'error',
    from: { path: '^src/' },
    to: { path: '^(tests|bench)/' },
  },
  {
    name: 'unknown-folder',
    comment: `A folder of src/ that .dependency-cruiser.cjs does not know: add it to LAYERS or SIDE_FOLDERS there (known: ${KNOWN.join(', ')}).`,
    severity: 'error',
    from: { path: `^src/(?!(${KNOWN.join('|')})/)[^/]+/` },
    to: {},
  },
  {
    name: 'unknown-top-level-module',
    comment: `Only the entry modules src/{${ENTRIES.join(',')}} live directly in src/: put the code in a folder (or add the entry to ENTRIES in .dependency-cruiser.cjs).`,
    severity: 'error',
    from: { path: '^src/[^/]+$', pathNot: `^src/(${ENTRIES.map((e) => e.replace('.', '\\.')).join('|')})$` },
    to: {},
  },
  {
    name: 'no-circular',
    comment: 'A cycle between modules: break it (move the shared part down a layer, or invert the dependency).',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'no-circular-folders',
    comment: 'A cycle between folders: break it (move the shared part down a layer, or invert the dependency).',
    severity: 'error',
    scope: 'folder',
    from: {},
    to: { circular: true },
  },
  {
    name: 'not-to-unresolvable',
    comment: 'An import the check cannot resolve, so cannot place in a layer.',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden,
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports (import type, export type) count as dependencies.
    tsPreCompilationDeps: true,
    doNotFollow: { path: '^node_modules/' },
    enhancedResolveOptions: {
      // Resolve package subpath exports such as '@bufbuild/protobuf/codegenv2'.
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
