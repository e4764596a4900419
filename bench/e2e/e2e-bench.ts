/**
 * End-to-end benchmark, daisychain side: runBlockwise over a no-op task whose
 * workers are separate processes (bench/e2e/noop-worker.ts), timed from the
 * call until it returns, worker start-up included, as
 * bench/e2e/daisy_e2e_bench.py times daisy's run_blockwise. Prints one JSON
 * line with the same fields.
 *
 *   node dist/bench/e2e/e2e-bench.js --workers N [--blocks B] [--prefetch K] [--python PYTHON] [--impl LABEL] [--secure 1] [--tracking on|off]
 *
 * --tracking (default on, daisychain's default): whether the task keeps done
 * markers. daisy 2.0.0 tracks only when asked (set_tracking_basedir), so the
 * same work on both sides is `off` against daisy's default and `on` against
 * daisy_e2e_bench.py --tracking on.
 *
 * With --secure, the server serves TLS (a CA and a certificate for
 * 127.0.0.1 made by openssl in a temporary directory) and every work stream
 * needs its pipeline's worker token: what a run beyond loopback costs.
 *
 * With --python, the workers are bench/e2e/noop_worker.py run by that
 * interpreter (one with the daisychain Python client installed).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Roi, type RunBlockwiseOptions, type RunSummary, Task, runBlockwise } from '../../src/index.js';
import { parseFlags } from '../flags.js';

const WRITE = 10;
const CONTEXT = 1;
const MAX_ELONGATION = 4;

function usage(message: string): never {
  process.stderr.write(`e2e-bench: ${message}\nusage: e2e-bench.js --workers N [--blocks B] [--prefetch K] [--impl LABEL] [--tracking on|off]\n`);
  process.exit(2);
}

/** The block grid the daisy side uses for the same count (see daisy_e2e_bench.py's grid_shape). */
function gridShape(blocks: number): [number, number, number] {
  let best: [number, number, number] | null = null;
  for (let a = 1; a ** 3 <= blocks; a++) {
    if (blocks % a !== 0) continue;
    const rest = blocks / a;
    for (let b = a; b * b <= rest; b++) {
      if (rest % b === 0 && (best === null || rest / b < best[2])) best = [a, b, rest / b];
    }
  }
  if (best !== null && best[2] <= MAX_ELONGATION * best[0]) return best;
  const k = Math.max(1, Math.round(Math.cbrt(blocks)));
  return [k, k, Math.max(1, Math.round(blocks / (k * k)))];
}

const args = parseFlags(process.argv.slice(2), usage);
const workers = Number(args.get('workers') ?? usage('--workers is required'));
const requested = Number(args.get('blocks') ?? '20000');
const prefetch = Number(args.get('prefetch') ?? '8');
const python = args.get('python');
const secure = args.get('secure') === '1';
const trackingFlag = args.get('tracking') ?? 'on';
if (trackingFlag !== 'on' && trackingFlag !== 'off') usage(`--tracking must be on or off, got ${trackingFlag}`);
const tracking = trackingFlag === 'on';
const workersLabel = python === undefined ? 'TS workers' : 'Python workers';
const impl = args.get('impl') ?? `daisychain (${workersLabel}${secure ? ', TLS + token' : ''})`;
if (!Number.isInteger(workers) || workers < 1) usage('--workers must be a positive integer');
if (!Number.isInteger(requested) || requested < 1) usage('--blocks must be a positive integer');

const grid = gridShape(requested);
const blocks = grid[0] * grid[1] * grid[2];
const workerCommand =
  python === undefined
    ? [process.execPath, fileURLToPath(new URL('./noop-worker.js', import.meta.url))]
    : [python, fileURLToPath(new URL('../../../bench/e2e/noop_worker.py', import.meta.url))];
const task = new Task({
  taskId: 'bench',
  totalRoi: new Roi([0, 0, 0], grid.map((n) => WRITE * n + 2 * CONTEXT)),
  readRoi: new Roi([0, 0, 0], [WRITE + 2 * CONTEXT, WRITE + 2 * CONTEXT, WRITE + 2 * CONTEXT]),
  writeRoi: new Roi([CONTEXT, CONTEXT, CONTEXT], [WRITE, WRITE, WRITE]),
  readWriteConflict: false,
  numWorkers: workers,
  workerCommand: ['env', `PREFETCH=${prefetch}`, ...workerCommand],
  // null: the run's default place (under logDir); false: no done markers.
  trackingPath: tracking ? null : false,
});
const logDir = mkdtempSync(join(tmpdir(), 'daisychain-e2e-'));
let summary: RunSummary | undefined;
const security = secure ? tlsAndToken(logDir) : {};
const start = performance.now();
const serverCpuStart = process.cpuUsage();
const workersCpuStart = childrenCpuSeconds();
const ok = await runBlockwise([task], { logDir, progress: 'none', onSummary: (s) => (summary = s), ...security });
const seconds = (performance.now() - start) / 1000;
const serverCpu = process.cpuUsage(serverCpuStart);
// The workers have exited and been waited for, so their CPU time is the children's.
const workersCpuSeconds = childrenCpuSeconds() - workersCpuStart;

/** CPU seconds (user + system) of this process's children that have exited and been waited for (Linux /proc; 0 elsewhere). */
function childrenCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // cutime and cstime, in clock ticks (100 per second on Linux).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/** A CA and a server certificate for 127.0.0.1, made by openssl before the clock starts, and tokens on. */
function tlsAndToken(dir: string): Pick<RunBlockwiseOptions, 'tls' | 'workerContext' | 'tokens'> {
  const openssl = (...argv: string[]): void => void execFileSync('openssl', argv, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=daisychain bench CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
  return {
    tls: { cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server.key')) },
    workerContext: { tls_ca: join(dir, 'ca.pem') },
    tokens: { operatorToken: randomBytes(24).toString('base64url'), workerTokens: true },
  };
}
rmSync(logDir, { recursive: true, force: true });
const completed = Number(summary?.tasks[0]?.['completed'] ?? -1);
const errors: string[] = [];
if (!ok) errors.push('runBlockwise returned false');
if (completed !== blocks) errors.push(`completed ${completed} blocks, expected ${blocks}`);
process.stdout.write(
  `${JSON.stringify({
    impl,
    version: '0.1.0',
    workers,
    blocks,
    blocks_requested: requested,
    grid,
    prefetch,
    tracking,
    seconds,
    blocks_per_s: blocks / seconds,
    // Per block, start-up included: the server (this process) and all the workers together.
    server_cpu_us_per_block: Math.round(((serverCpu.user + serverCpu.system) / blocks) * 10) / 10,
    workers_cpu_us_per_block: Math.round(((workersCpuSeconds * 1e6) / blocks) * 10) / 10,
    ok: errors.length === 0,
    errors,
  })}\n`,
);
process.exitCode = errors.length === 0 ? 0 : 1;
