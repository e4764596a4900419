/**
 * The in-process scheduler, `import ... from 'daisychain/core'`: the API of
 * core-api.ts, warmed up at load. Whoever imports this entry is about to
 * schedule in this process, so its first block should not pay for compiling
 * the scheduler in V8's interpreter (see warm-up.ts). The package root and
 * 'daisychain/client' do not warm up: a worker never schedules.
 */
import { warmUpScheduler } from './scheduler/warm-up.js';

export * from './core-api.js';

warmUpScheduler();
