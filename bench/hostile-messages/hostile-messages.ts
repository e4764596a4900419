/**
 * Hostile messages: what 14 Releases of 650,000 block ids the stream does
 * not hold (3.9 MB each, "finding 1") cost a `daisychain serve` process.
 * Reports the server's peak RSS (VmHWM and VmRSS sampled every 10 ms from
 * /proc), the largest round trip an honest worker saw meanwhile (its own
 * process, bench/hostile-messages/honest-probe.ts), and whether the server
 * still serves afterwards. Not a test: bench/hostile-messages/run.sh runs it.
 *
 * Environment: SERVER_ROOT (a daisychain checkout, built, whose
 * dist/src/cli/main.js is the server; default this one), MESSAGES (14),
 * IDS (650000 per message), MAX_SECONDS (300: the longest the flood may take
 * to be answered; the figures are then those seen until then).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Client as GrpcClient, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { HelloSchema, WorkRequestSchema, WorkResponseSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { Client, formatContext } from '../../src/client/index.js';
import { workMethod } from '../../src/wire/service-definition.js';
import type { ProbeWindow } from './honest-probe.js';

const env = process.env;
const here = fileURLToPath(new URL('.', import.meta.url));
const thisRoot = resolve(here, '../../..');
const serverRoot = resolve(env['SERVER_ROOT'] ?? thisRoot);
const messages = Number(env['MESSAGES'] ?? '14');
const idsPerMessage = Number(env['IDS'] ?? '650000');
const maxSeconds = Number(env['MAX_SECONDS'] ?? '300');
/** The task's blocks: enough for the honest worker (about 1,000 round trips a second) for the whole run. */
const BLOCKS = 1_000_000;
/** The hostile ids start here: beyond the task, so no stream holds them; 3-byte varints, so 650,000 Releases take 3.9 MB. */
const FIRST_ID = 1_000_000;
const MB = 2 ** 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hello = (): Buffer =>
  Buffer.from(toBinary(WorkRequestSchema, create(WorkRequestSchema, { message: { case: 'hello', value: create(HelloSchema, { taskId: 'h', workerId: 'hostile' }) } })));
/** The server's refusal of a second Hello, sent after the flood: its reply marks the end of the flood's answers. */
const SENTINEL_REPLY = Buffer.from('already said Hello');

function serverCommit(): string {
  try {
    return execFileSync('git', ['-C', serverRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** VmRSS and VmHWM (the kernel's peak) of a process, in bytes; null once it has exited. */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? '0') * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** How the server ended, if it did, with the end of what it wrote (an out-of-memory report, say). */
let serverExit: string | null = null;
let serverSaid = '';

async function startServer(dir: string): Promise<{ server: ChildProcess; port: number }> {
  const pipeline = join(dir, 'pipeline.json');
  const roi = { offset: [0], shape: [10] };
  writeFileSync(pipeline, JSON.stringify({ tasks: [{ taskId: 'h', totalRoi: { offset: [0], shape: [10 * BLOCKS] }, readRoi: roi, writeRoi: roi }] }));
  const server = spawn(process.execPath, [join(serverRoot, 'dist/src/cli/main.js'), 'serve', pipeline, '--listen', '127.0.0.1:0', '--progress', 'none'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.on('exit', (code, signal) => (serverExit = `exited with ${signal ?? `status ${code}`}`));
  const port = await new Promise<number>((resolvePort, reject) => {
    server.stderr!.on('data', (chunk: Buffer) => {
      serverSaid = (serverSaid + chunk.toString()).slice(-4000);
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(serverSaid);
      if (match !== null) resolvePort(Number(match[1]));
    });
    server.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${serverSaid}`)));
  });
  return { server, port };
}

/** The flood's message: Releases{releases: [Release{block_id}] × n}, encoded once, without building n message objects. */
function floodMessage(n: number): Buffer {
  const w = new BinaryWriter().tag(5, WireType.LengthDelimited).fork();
  for (let i = 0; i < n; i++) w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint64(FIRST_ID + i).join();
  const bytes = w.join().finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The hostile stream, raw both ways: requests are bytes, and replies are
 * counted as bytes, with only the first few decoded, so that a server that
 * answers each of 9 million ids does not also fill this process.
 */
function hostileStream(address: string): {
  call: ClientDuplexStream<Buffer, Buffer>;
  grpc: GrpcClient;
  replies: () => number;
  firstReplies: string[];
  /** When the reply to the second Hello sent after the flood came: every message before it was answered (replies keep the order of requests). */
  answeredAt: () => number | null;
  ended: Promise<string>;
} {
  const grpc = new GrpcClient(address, credentials.createInsecure());
  const call = grpc.makeBidiStreamRequest(
    workMethod.path,
    (b: Buffer) => b,
    (b: Buffer) => b,
  );
  let replies = 0;
  let answeredAt: number | null = null;
  const firstReplies: string[] = [];
  call.on('data', (bytes: Buffer) => {
    replies++;
    // Found in the bytes, so that the millions of replies of a server before the fix are not all decoded.
    if (bytes.includes(SENTINEL_REPLY)) answeredAt = performance.now();
    if (firstReplies.length < 4) {
      const reply = fromBinary(WorkResponseSchema, bytes).message;
      firstReplies.push(`${reply.case}${reply.case === 'rejected' ? `: ${reply.value.message.slice(0, 160)}` : ''}`);
    }
  });
  const ended = new Promise<string>((resolveEnd) => {
    call.on('error', (e: Error & { code?: number }) => resolveEnd(`status ${e.code}: ${e.message}`));
    call.on('end', () => resolveEnd('OK'));
  });
  return { call, grpc, replies: () => replies, firstReplies, answeredAt: () => answeredAt, ended };
}

const NO_PROBE: ProbeWindow = { failed: 'the probe process is gone', roundTrips: 0, maxMs: 0, p99Ms: 0, maxAtMs: 0 };

function askProbe(probe: ChildProcess): Promise<ProbeWindow> {
  if (!probe.connected) return Promise.resolve(NO_PROBE);
  return new Promise((resolveReport) => {
    probe.once('message', (report: ProbeWindow) => resolveReport(report));
    probe.send('report');
  });
}

const dir = mkdtempSync(join(tmpdir(), 'daisychain-hostile-'));
const { server, port } = await startServer(dir);
const address = `127.0.0.1:${port}`;
const pid = server.pid!;
const context = (workerId: string): string => formatContext({ hostname: '127.0.0.1', port: String(port), task_id: 'h', worker_id: workerId });
const probe = fork(join(here, 'honest-probe.js'), [], { env: { ...env, DAISY_CONTEXT: context('probe') }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
// Interrupted, the server must not outlive the benchmark (the probe exits with its IPC channel).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.kill('SIGKILL');
    process.exit(130);
  });
}

try {
  const payload = floodMessage(idsPerMessage);
  // The server warms up and the probe reaches its pace; then its calm round trips, for comparison.
  await sleep(2000);
  probe.send('mark');
  await sleep(2000);
  const calm = await askProbe(probe);
  const before = memoryOf(pid)!;

  let peakRss = before.rss;
  let lastHwm = before.hwm;
  // Once the server has exited (out of memory, say), the last samples stand.
  const sample = (): void => {
    const now = memoryOf(pid);
    if (now === null) return;
    peakRss = Math.max(peakRss, now.rss);
    lastHwm = now.hwm;
  };
  const sampler = setInterval(sample, 10);

  const hostile = hostileStream(address);
  hostile.call.write(hello());
  while (hostile.replies() === 0) await sleep(5); // the Welcome
  probe.send('mark');
  const floodStart = performance.now();
  for (let i = 0; i < messages; i++) hostile.call.write(payload);
  hostile.call.write(hello());
  let lastNote = floodStart;
  while (hostile.answeredAt() === null && serverExit === null && performance.now() - floodStart < maxSeconds * 1000) {
    await sleep(20);
    if (performance.now() - lastNote > 10_000) {
      lastNote = performance.now();
      process.stderr.write(`  ${((lastNote - floodStart) / 1000).toFixed(0)} s: ${hostile.replies()} replies, server RSS ${Math.round((memoryOf(pid)?.rss ?? 0) / MB)} MB (peak ${Math.round(peakRss / MB)})\n`);
    }
  }
  const floodEnded = (performance.now() - floodStart) / 1000;
  const answeredAt = hostile.answeredAt();
  const floodSeconds = answeredAt === null ? null : (answeredAt - floodStart) / 1000;
  const flood = await askProbe(probe);
  clearInterval(sampler);
  sample();
  const after = memoryOf(pid);

  // Still serving: the probe goes on, and a fresh worker gets a block at once.
  probe.send('mark');
  const freshStart = performance.now();
  const fresh = new Client({ hostname: '127.0.0.1', port: String(port), task_id: 'h', worker_id: 'fresh' });
  const block = await Promise.race([fresh.acquireBlock().catch(() => null), sleep(10_000).then(() => null)]);
  const freshMs = performance.now() - freshStart;
  if (block !== null) fresh.releaseBlock(block);
  await fresh.close();
  await sleep(2000);
  const later = await askProbe(probe);
  hostile.call.end();
  const hostileEnd = await Promise.race([hostile.ended, sleep(5000).then(() => 'no end within 5 s')]);
  hostile.grpc.close();

  const figures = {
    serverRoot,
    serverCommit: serverCommit(),
    messages,
    idsPerMessage,
    messageBytes: payload.length,
    serverRssBeforeMB: Math.round(before.rss / MB),
    serverPeakRssMB: Math.round(Math.max(peakRss, lastHwm) / MB),
    serverRssAfterMB: after === null ? null : Math.round(after.rss / MB),
    serverExit,
    floodAnsweredSeconds: floodSeconds === null ? `not answered after ${floodEnded.toFixed(0)} s` : Number(floodSeconds.toFixed(1)),
    /** Besides the Welcome and the sentinel's refusal. */
    hostileReplies: hostile.replies() - 2,
    firstReplies: hostile.firstReplies,
    hostileStreamEnd: hostileEnd,
    honestCalm: { roundTrips: calm.roundTrips, maxMs: Number(calm.maxMs.toFixed(1)), p99Ms: Number(calm.p99Ms.toFixed(1)) },
    honestDuringFlood: { roundTrips: flood.roundTrips, maxMs: Number(flood.maxMs.toFixed(1)), p99Ms: Number(flood.p99Ms.toFixed(1)), failed: flood.failed },
    stillServes: block !== null && later.roundTrips > 100 && later.failed === null,
    freshWorkerFirstBlockMs: block === null ? null : Number(freshMs.toFixed(1)),
    honestRoundTripsIn2sAfter: later.roundTrips,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.stderr.write(
    [
      `server ${figures.serverCommit} (${serverRoot})`,
      `${messages} Releases of ${idsPerMessage} unheld ids (${(payload.length / 1e6).toFixed(1)} MB each): ${figures.hostileReplies} replies, ${floodSeconds === null ? figures.floodAnsweredSeconds : `answered in ${figures.floodAnsweredSeconds} s`}`,
      `server RSS: ${figures.serverRssBeforeMB} MB before, peak ${figures.serverPeakRssMB} MB, ${figures.serverRssAfterMB ?? '-'} MB after`,
      ...(serverExit === null ? [] : [`the server ${serverExit}: ${/FATAL ERROR[^\n]*/.exec(serverSaid)?.[0] ?? serverSaid.trim().split('\n').slice(-2).join(' | ')}`]),
      `honest round trips: calm max ${figures.honestCalm.maxMs} ms; during the flood max ${figures.honestDuringFlood.maxMs} ms, p99 ${figures.honestDuringFlood.p99Ms} ms (${flood.roundTrips} round trips)${flood.failed === null ? '' : `; its stream failed: ${flood.failed}`}`,
      `still serves: ${figures.stillServes} (${block === null ? 'a fresh worker got no block' : `a fresh worker's first block in ${figures.freshWorkerFirstBlockMs} ms`}; ${later.roundTrips} honest round trips in the next 2 s)`,
      '',
    ].join('\n'),
  );
  process.exitCode = figures.stillServes ? 0 : 1;
} finally {
  if (probe.connected) probe.disconnect();
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
