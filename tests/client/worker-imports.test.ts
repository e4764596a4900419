/**
 * A worker loads only what a worker needs: 'daisychain/client' must not load
 * the scheduler, arrays or spatial graphs (nor their drivers), and neither it
 * nor the package root may run the scheduler's warm-up at load. Each import
 * runs in a fresh process (tests/fixtures/import-probe.ts), imported by the
 * package's own name, as a worker script would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const packageRoot = new URL('../../../', import.meta.url);
const probe = fileURLToPath(new URL('../fixtures/import-probe.js', import.meta.url));

interface ProbeResult {
  specifier: string;
  urls: string[];
  warmUps: number;
}

async function probeImport(specifier: string, ...flags: string[]): Promise<ProbeResult> {
  const env = { ...process.env };
  delete env['DAISYCHAIN_NO_WARMUP'];
  delete env['NODE_OPTIONS'];
  const { stdout } = await run(process.execPath, [probe, specifier, ...flags], {
    cwd: fileURLToPath(packageRoot),
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ProbeResult;
}

/** The package's own modules loaded, relative to dist/src/ (e.g. 'client/client.js'). */
function ownModules(result: ProbeResult): string[] {
  const base = new URL('dist/src/', packageRoot).href;
  return result.urls.filter((url) => url.startsWith(base)).map((url) => url.slice(base.length));
}

/** The npm packages loaded (e.g. '@grpc/grpc-js'), whatever loaded them. */
function packagesLoaded(result: ProbeResult): Set<string> {
  const names = new Set<string>();
  for (const url of result.urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return names;
}

// What a worker needs: the client, blocks, geometry, the wire format.
const WORKER_LAYERS = ['client/', 'model/block.js', 'geometry/', 'wire/', 'gen/'];
const NOT_FOR_WORKERS = ['mongodb', 'bson', 'zarrita', '@zarrita/storage', 'h5wasm', 'graphology', 'node-sqlite3-wasm', 'yaml', 'zod'];

test("'daisychain/client' loads the client and none of the scheduler, arrays or graphs", async () => {
  const result = await probeImport('daisychain/client');
  const own = ownModules(result);
  assert.ok(own.includes('client/index.js'), `the entry resolves into this package's dist/: ${result.urls.join(' ')}`);
  const outside = own.filter((module) => !WORKER_LAYERS.some((layer) => module.startsWith(layer)));
  assert.deepEqual(outside, [], 'modules a worker does not need');
  const packages = packagesLoaded(result);
  assert.ok(packages.has('@grpc/grpc-js'), 'the probe sees packages (grpc-js is loaded)');
  assert.deepEqual(NOT_FOR_WORKERS.filter((name) => packages.has(name)), []);
  assert.equal(result.warmUps, 0);
  assert.ok(!own.includes('gen/daisychain/v1/pipeline_pb.js'), "a worker does not load the control plane's messages");
});

test("'daisychain/control' loads the control-plane client, the wire and the model's nouns only", async () => {
  const result = await probeImport('daisychain/control');
  const own = ownModules(result);
  assert.ok(own.includes('client/control.js'));
  const outside = own.filter((module) => !['client/', 'model/', 'geometry/', 'wire/', 'gen/'].some((layer) => module.startsWith(layer)));
  assert.deepEqual(outside, [], 'no scheduler, server, pipelines, workers or run');
  assert.deepEqual(NOT_FOR_WORKERS.filter((name) => packagesLoaded(result).has(name)), []);
  assert.equal(result.warmUps, 0);
});

test("the package root loads everything but does not run the warm-up", async () => {
  const result = await probeImport('daisychain');
  // pipeline.proto's code (and with it the well-known types, about 20 ms) loads with the first server of pipelines.
  assert.ok(!ownModules(result).includes('gen/daisychain/v1/pipeline_pb.js'), 'the control plane loads when a server starts');
  assert.ok(ownModules(result).includes('scheduler/warm-up.js'), 'the warm-up module is loaded, so its calls are counted');
  assert.ok(packagesLoaded(result).has('mongodb'));
  assert.equal(result.warmUps, 0);
});

test("'daisychain/core' warms up at load, once", async () => {
  // Also shows the probe counts calls: the same count is 0 above.
  const result = await probeImport('daisychain/core');
  assert.equal(result.warmUps, 1);
  assert.ok(!packagesLoaded(result).has('@grpc/grpc-js'), 'the core does not load grpc-js');
});

test('a SchedulerService warms up when constructed', async () => {
  const result = await probeImport('daisychain', '--construct-service');
  assert.equal(result.warmUps, 1);
});

test('every subpath export resolves by package name', async () => {
  const arrays = await import('daisychain/arrays');
  assert.equal(typeof arrays.openDs, 'function');
  const graphs = await import('daisychain/spatial-graphs');
  assert.equal(typeof graphs.Graph, 'function');
  assert.equal(typeof graphs.SqliteGraphProvider, 'function');
  const client = await import('daisychain/client');
  assert.equal(typeof client.Client, 'function');
  const control = await import('daisychain/control');
  assert.equal(typeof control.PipelineClient, 'function');
  assert.equal(typeof client.Roi, 'function');
});
