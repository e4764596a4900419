/**
 * Text from a worker reaches the terminal escaped: an error message with
 * an ANSI escape and a forged newline, sent by a real worker over the work
 * stream, shows up as visible escapes in progress lines, bars and the
 * summary, and a traceback keeps its own lines, indented.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBlockwise } from '../../src/index.js';
import { printSummary, type RunSummary } from '../../src/run/summary.js';
import { escapeForTerminal, escapeLines, jsonForTerminal } from '../../src/run/terminal-text.js';
import { lineTask } from '../support/line-task.js';

const HOSTILE = 'boom \x1b[31mred\nforged line';
const SHOWN = 'boom \\x1b[31mred\\nforged line';

function capture(isTTY = false): { out: { write(text: string): boolean; isTTY: boolean }; text: () => string } {
  let text = '';
  return {
    out: {
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
      isTTY,
    },
    text: () => text,
  };
}

test('escapeForTerminal makes control and bidi characters visible, and leaves the rest', () => {
  assert.equal(escapeForTerminal(HOSTILE), SHOWN);
  assert.equal(escapeForTerminal('a\rb\tc\x00d\x7fe\x9bf'), 'a\\rb\\tc\\x00d\\x7fe\\x9bf');
  assert.equal(escapeForTerminal('title\x1b]0;pwned\x07'), 'title\\x1b]0;pwned\\x07');
  assert.equal(escapeForTerminal('abc\u202edcba\u2028x'), 'abc\\u202edcba\\u2028x');
  assert.equal(escapeForTerminal('plain ünïcode ✔ C:\\path'), 'plain ünïcode ✔ C:\\path');
  assert.deepEqual(escapeLines('one\r\ntwo\x1b[2J\nthree\rfour'), ['one', 'two\\x1b[2J', 'three\\rfour']);
});

for (const mode of ['lines', 'bars'] as const) {
  test(`a worker's hostile error message is escaped in ${mode} progress and the summary`, async () => {
    const { out, text } = capture(mode === 'bars');
    const task = lineTask('hostile', 3, {
      maxRetries: 1,
      processFunction: (block) => {
        if (block.blockId === 1) throw new Error(HOSTILE);
      },
    });
    const ok = await runBlockwise([task], { progress: mode, out, handleSigint: false, trackingBasedir: false });
    assert.equal(ok, false);
    const printed = text();
    // The only escape sequences are the bars' own cursor moves.
    const escapes = printed.match(/\x1b[^A-Za-z]*[A-Za-z]/g) ?? [];
    assert.ok(escapes.every((e) => /^\x1b\[\d*[AJ]$/.test(e)), JSON.stringify(escapes));
    if (mode === 'lines') assert.deepEqual(escapes, []);
    assert.ok(!printed.split('\n').some((line) => line.startsWith('forged')), printed);
    assert.match(printed, new RegExp(`retrying hostile/1 \\(attempt 1, worker [^)]*\\): Error: ${escapeRegExp(SHOWN)}\n`));
    assert.match(printed, new RegExp(`failed hostile/1 \\(attempt 2, worker [^)]*\\): Error: ${escapeRegExp(SHOWN)}\n`));
    assert.match(printed, new RegExp(`  hostile/1 on worker \\S+ \\(attempt 2\\): Error: ${escapeRegExp(SHOWN)}\n`));
  });
}

test('the summary keeps a traceback\'s lines, indented, and escapes what is within them', () => {
  const { out, text } = capture();
  const summary: RunSummary = {
    succeeded: false,
    interrupted: false,
    seconds: 1,
    tasks: [{ task: 't', total: 1, completed: 0, skipped: 0, failed: 1, orphaned: 0, pending: 0, processing: 0, ready: 0, abandoned: false }],
    failedBlocks: [
      {
        taskId: 't',
        blockId: 0,
        workerId: 'w\x1b[8m',
        error: 'ValueError: bad',
        traceback: 'Traceback (most recent call last):\r\n  File "w.py", line 3\x1b]0;pwned\x07\nValueError: bad\rAll blocks succeeded.',
        attempt: 0,
        permanent: true,
      },
    ],
  };
  printSummary(summary, 'lines', out);
  const lines = text().split('\n');
  assert.ok(lines.includes('  t/0 on worker w\\x1b[8m (attempt 1): ValueError: bad'), text());
  assert.ok(lines.includes('      Traceback (most recent call last):'), text());
  assert.ok(lines.includes('        File "w.py", line 3\\x1b]0;pwned\\x07'), text());
  assert.ok(lines.includes('      ValueError: bad\\rAll blocks succeeded.'), text());
  assert.ok(!text().includes('\x1b') && !text().includes('\r'));
  assert.equal(lines.filter((l) => l === 'All blocks succeeded.').length, 0);
});

test('json progress keeps the exact error, with no raw control character', async () => {
  // JSON.stringify escapes C0 controls but leaves DEL, C1 (the 8-bit CSI \x9b) and bidi overrides as they are.
  const error = `${HOSTILE} \x9b2J \x7f \u202e`;
  assert.equal(JSON.parse(jsonForTerminal(JSON.stringify(error))), error);
  const { out, text } = capture();
  const task = lineTask('json', 2, {
    maxRetries: 0,
    processFunction: (block) => {
      if (block.blockId === 1) throw new Error(error);
    },
  });
  assert.equal(await runBlockwise([task], { progress: 'json', out, handleSigint: false, trackingBasedir: false }), false);
  assert.doesNotMatch(text(), /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  const records = text().trim().split('\n').map((l) => JSON.parse(l) as { event: string; error?: string; failedBlocks?: { error: string }[] });
  assert.equal(records.find((r) => r.event === 'failure')?.error, `Error: ${error}`);
  assert.equal(records.find((r) => r.event === 'summary')?.failedBlocks?.[0]?.error, `Error: ${error}`);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
