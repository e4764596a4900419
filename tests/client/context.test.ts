/** DAISY_CONTEXT is written and read as daisy 2.0.0 does (tests/oracle/generate_context_vector.py). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatContext, parseContext } from '../../src/client/context.js';
import { loadVectors } from '../support/vectors.js';

interface ContextVector {
  daisy: string;
  written: { entries: Record<string, string>; tokens: string[] }[];
  read: { text: string; entries: Record<string, string> }[];
}

const vector = loadVectors<ContextVector>('context.json');

test('entries are written as daisy 2.0.0 writes them: %, : and = escaped, nothing else', () => {
  assert.equal(vector.daisy, '2.0.0');
  for (const { entries, tokens } of vector.written) {
    const text = formatContext(entries);
    assert.deepEqual(text.split(':').sort(), tokens, JSON.stringify(entries));
    assert.deepEqual(parseContext(text), entries, 'read back');
  }
});

test('texts are read as daisy 2.0.0 reads them: one pass, other % sequences kept', () => {
  for (const { text, entries } of vector.read) assert.deepEqual(parseContext(text), entries, text);
});

test('an entry without = or with an empty key is refused with the entry named', () => {
  assert.throws(() => parseContext('hostname=a:port'), /malformed DAISY_CONTEXT entry "port": expected key=value/);
  assert.throws(() => parseContext('=a'), /malformed DAISY_CONTEXT entry "=a"/);
  assert.throws(() => formatContext({ '': 'a' }), /context keys must not be empty/);
});
