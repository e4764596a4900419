/**
 * `daisychain serve` owned by another program (the Python driver): it writes
 * its address to `--address-file` once it listens, lays worker logs out as
 * daisy does with `--flat-log-dir`, and with `--exit-with-stdin` stops, with
 * the workers it started, when its owner's end of the stdin pipe closes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PipelineClient } from '../../src/client/pipeline-client.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

async function until(condition: () => boolean, what: string, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

test('serve --address-file --flat-log-dir --exit-with-stdin: found by its file, daisy log layout, gone with its stdin', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'owned-server-'));
  const addressFile = join(dir, 'address');
  const logDir = join(dir, 'logs');
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--address-file', addressFile, '--log-dir', logDir, '--flat-log-dir', '--exit-with-stdin'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await until(() => existsSync(addressFile), 'the address file');
  const address = readFileSync(addressFile, 'utf8').trim();
  assert.match(address, /^127\.0\.0\.1:\d+$/);

  const control = new PipelineClient(address);
  const unit = { offset: [0], shape: [1] };
  // Blocks that take ten minutes keep the workers running until the server stops them.
  const submitted = await control.submit({
    tasks: [
      {
        taskId: 'held',
        totalRoi: { offset: [0], shape: [100] },
        readRoi: unit,
        writeRoi: unit,
        readWriteConflict: false,
        numWorkers: 2,
        workerCommand: [process.execPath, workerScript],
        workerEnv: { RECORD_FILE: join(dir, 'records'), BLOCK_DELAY_MS: '600000' },
      },
    ],
  });
  await until(() => existsSync(join(logDir, 'held')) && readdirSync(join(logDir, 'held')).filter((f) => f.endsWith('.out')).length === 2, 'two workers');
  assert.deepEqual(readdirSync(logDir).sort(), ['held', 'tracking'], `no pipeline directory (${submitted.pipelineId}) between the log dir and the task, nor the done markers`);
  assert.ok(existsSync(join(logDir, 'tracking', 'held', 'zarr.json')), 'done markers in <logDir>/tracking/<taskId>');
  const workers = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(child.pid);
      } catch {
        return false;
      }
    });
  assert.equal(workers.length, 2, 'the server started two workers');
  control.close();

  child.stdin.end(); // what the kernel does when the owner dies
  assert.equal(await exit, 0);
  await until(() => workers.every((pid) => !alive(pid)), 'the workers to stop', 15);
});
