/**
 * Worker import time: how long a fresh worker process takes to load its
 * library, daisychain's entries side by side with the Python client and
 * daisy 2.0.0. Prints one JSON line per process (and a first "meta" line).
 *
 *   node dist/bench/imports/imports-bench.js --repeats N
 *        --python-client PYTHON --python-daisy2 PYTHON
 *        [--before DIR --before-label LABEL]
 *
 * Every case is a fresh process that reads a clock, imports, and prints the
 * milliseconds the import took; its wall time is measured from here, spawn
 * to exit. Each runtime also runs an "empty" case, the same program without
 * the import, so that the table can subtract what any process costs.
 * Rounds are interleaved (every case once per round, in an order rotated
 * each round), so that a change of machine load falls on every case alike;
 * the first round warms the file cache and Python's bytecode and is dropped.
 * --before DIR adds `import('daisychain')` in another built daisychain tree
 * (the tree before a change).
 */
import { spawnSync } from 'node:child_process';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../flags.js';

interface Case {
  name: string;
  /** The case whose time is subtracted ("empty" cases have none). */
  empty: string | null;
  command: string;
  args: string[];
  cwd: string;
}

function usage(message: string): never {
  process.stderr.write(
    `imports-bench: ${message}\n` +
      'usage: imports-bench.js --repeats N --python-client PYTHON --python-daisy2 PYTHON [--before DIR --before-label LABEL]\n',
  );
  process.exit(2);
}

const flags = parseFlags(process.argv.slice(2), usage);
const repeats = Number(flags.get('repeats') ?? '20');
if (!Number.isInteger(repeats) || repeats < 1) usage('--repeats must be a positive integer');
// Absolute, because the Python cases run in another directory.
const pythonClient = resolve(flags.get('python-client') ?? usage('--python-client is required'));
const pythonDaisy2 = resolve(flags.get('python-daisy2') ?? usage('--python-daisy2 is required'));
const beforeFlag = flags.get('before');
const before = beforeFlag === undefined ? undefined : resolve(beforeFlag);
const beforeLabel = flags.get('before-label') ?? 'before';
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Node: import SPECIFIER (self-referenced by package name from cwd), print its milliseconds. */
function nodeCase(name: string, specifier: string | null, cwd = packageRoot): Case {
  const load = specifier === null ? '' : `await import(${JSON.stringify(specifier)});`;
  const code = `const t = performance.now(); ${load} process.stdout.write(String(performance.now() - t));`;
  return { name, empty: specifier === null ? null : 'node, empty', command: process.execPath, args: ['--input-type=module', '-e', code], cwd };
}

/** Python: import MODULE, print its milliseconds. Run outside the repository, so only the venv is on the path. */
function pythonCase(name: string, python: string, module: string | null, empty: string): Case {
  const load = module === null ? '' : `import ${module}; `;
  const code = `import time; t = time.perf_counter(); ${load}print((time.perf_counter() - t) * 1000, end="")`;
  return { name, empty: module === null ? null : empty, command: python, args: ['-c', code], cwd: tmpdir() };
}

const clientEmpty = 'python (client venv), empty';
const daisy2Empty = 'python (daisy 2.0.0 venv), empty';
const cases: Case[] = [
  nodeCase('node, empty', null),
  nodeCase("import('daisychain/client')", 'daisychain/client'),
  nodeCase("import('daisychain')", 'daisychain'),
  nodeCase("import('daisychain/core')", 'daisychain/core'),
  pythonCase(clientEmpty, pythonClient, null, clientEmpty),
  pythonCase('import daisychain (Python client)', pythonClient, 'daisychain', clientEmpty),
  pythonCase(daisy2Empty, pythonDaisy2, null, daisy2Empty),
  pythonCase('import daisy (daisy 2.0.0)', pythonDaisy2, 'daisy', daisy2Empty),
];
if (before !== undefined) cases.push(nodeCase(`import('daisychain'), ${beforeLabel}`, 'daisychain', before));

// The children must not inherit settings that change what they load or run.
const env = { ...process.env };
for (const name of ['NODE_OPTIONS', 'DAISYCHAIN_NO_WARMUP', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONDONTWRITEBYTECODE']) delete env[name];

function runOnce(c: Case): { wallMs: number; importMs: number } {
  const start = process.hrtime.bigint();
  const child = spawnSync(c.command, c.args, { cwd: c.cwd, env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const importMs = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(importMs)) {
    process.stderr.write(`imports-bench: ${c.name} failed (exit ${child.status}): ${child.error?.message ?? ''}\n${child.stderr}`);
    process.exit(1);
  }
  return { wallMs, importMs };
}

function pythonVersion(python: string): string {
  return spawnSync(python, ['-c', 'import sys; print(sys.version.split()[0], end="")'], { encoding: 'utf8' }).stdout;
}

process.stdout.write(
  `${JSON.stringify({
    meta: true,
    date: new Date().toISOString(),
    host: hostname(),
    cpus: cpus().length,
    loadavg: loadavg(),
    node: process.version,
    python_client: pythonVersion(pythonClient),
    python_daisy2: pythonVersion(pythonDaisy2),
    repeats,
  })}\n`,
);
for (let round = 0; round <= repeats; round++) {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length]!;
    const { wallMs, importMs } = runOnce(c);
    if (round === 0) continue;
    const record = { case: c.name, empty: c.empty, round, wall_ms: wallMs, import_ms: importMs };
    process.stdout.write(`${JSON.stringify(record)}\n`);
  }
}
