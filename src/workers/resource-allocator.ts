import type { Task } from '../model/task.js';
import type { SchedulerService } from '../server/scheduler-service.js';

/** What a pool asks for: a slot for one more worker of its task. */
interface SlotRequest {
  /** False once the pool stopped or the task is over: the request is dropped. */
  readonly wanted: () => boolean;
  /** Called with the slot taken; the pool then spawns, and gives the slot back when the process exits. */
  readonly granted: () => void;
  /** Order of arrival, for ties. */
  readonly seq: number;
}

interface TaskSlots {
  readonly taskId: string;
  /** The amounts one worker holds (only those above 0). */
  readonly requires: readonly (readonly [string, number])[];
  /** Slots held: workers alive or on their way (granted, not yet exited). */
  held: number;
  readonly waiting: SlotRequest[];
}

/**
 * One pipeline's budget of resources (daisy 2.0's `resources`) shared by the
 * worker pools of its tasks. A pool asks for a slot before each spawn (first
 * starts and restarts alike) and gives it back when the process exits, so
 * that the sum of `requires` over the workers alive or starting never
 * exceeds the budget, not even for a moment.
 *
 * Who gets a slot: only a task that has ready blocks (as daisy 2.0, so that
 * a downstream task's workers cannot take the budget while they would only
 * wait for upstream blocks), and among those, the task holding the fewest
 * slots, then the one waiting longest. A request that does not fit lets one
 * behind it that does (daisy 2.0's round robin skips it too). Tasks without
 * `requires` never ask.
 */
export class ResourceAllocator {
  private readonly budget: ReadonlyMap<string, number>;
  private readonly used = new Map<string, number>();
  private readonly slots = new Map<string, TaskSlots>();
  private waitingCount = 0;
  private seq = 0;
  private pumpScheduled = false;
  private listening = false;

  constructor(
    budget: Readonly<Record<string, number>>,
    private readonly service: SchedulerService,
  ) {
    this.budget = new Map(Object.entries(budget));
  }

  /** Whether the task's workers draw on the budget (a `requires` above 0). */
  bounds(task: Task): boolean {
    return Object.values(task.requiredResources).some((amount) => amount > 0);
  }

  /**
   * Asks for a slot for one worker of `task`; `granted` is called (later,
   * never within this call) once it fits and the task has ready blocks.
   */
  request(task: Task, wanted: () => boolean, granted: () => void): void {
    const slots = this.slotsOf(task);
    slots.waiting.push({ wanted, granted, seq: this.seq++ });
    this.waitingCount++;
    if (!this.listening) {
      // Readiness changes with the scheduler's state: listen only while someone waits.
      this.listening = true;
      this.service.on('change', this.schedulePump);
    }
    this.schedulePump();
  }

  /** Gives back the slot of a worker of `task` that exited (or never started). */
  release(task: Task): void {
    const slots = this.slots.get(task.taskId);
    if (slots === undefined || slots.held === 0) return;
    slots.held--;
    for (const [name, amount] of slots.requires) this.used.set(name, this.used.get(name)! - amount);
    this.schedulePump();
  }

  /** Drops the waiting requests of a task (its pool stopped). */
  withdraw(taskId: string): void {
    const slots = this.slots.get(taskId);
    if (slots === undefined) return;
    this.waitingCount -= slots.waiting.length;
    slots.waiting.length = 0;
    this.stopListeningIfIdle();
  }

  /** Slots the workers of a task hold now. */
  held(taskId: string): number {
    return this.slots.get(taskId)?.held ?? 0;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** What live workers hold of each resource. */
  usage(): Record<string, number> {
    return Object.fromEntries(this.used);
  }

  private slotsOf(task: Task): TaskSlots {
    let slots = this.slots.get(task.taskId);
    if (slots === undefined) {
      const requires = Object.entries(task.requiredResources).filter(([, amount]) => amount > 0);
      slots = { taskId: task.taskId, requires, held: 0, waiting: [] };
      this.slots.set(task.taskId, slots);
    }
    return slots;
  }

  private fits(slots: TaskSlots): boolean {
    // `amount > budget - used` rather than `used + amount > budget`: exact up to 2^53.
    return slots.requires.every(([name, amount]) => amount <= (this.budget.get(name) ?? 0) - (this.used.get(name) ?? 0));
  }

  /** Once per turn: requests of the same turn (every pool of a pipeline starting) are weighed together. */
  private readonly schedulePump = (): void => {
    if (this.pumpScheduled || this.waitingCount === 0) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  };

  private pump(): void {
    for (const slots of this.slots.values()) {
      const before = slots.waiting.length;
      if (before === 0) continue;
      const kept = slots.waiting.filter((request) => request.wanted());
      this.waitingCount -= before - kept.length;
      slots.waiting.splice(0, before, ...kept);
    }
    for (;;) {
      let best: TaskSlots | null = null;
      for (const slots of this.slots.values()) {
        if (slots.waiting.length === 0 || !this.fits(slots)) continue;
        if (best !== null && (slots.held > best.held || (slots.held === best.held && slots.waiting[0]!.seq > best.waiting[0]!.seq))) continue;
        if (this.service.state(slots.taskId).readyCount === 0) continue;
        best = slots;
      }
      if (best === null) break;
      const request = best.waiting.shift()!;
      this.waitingCount--;
      best.held++;
      for (const [name, amount] of best.requires) this.used.set(name, (this.used.get(name) ?? 0) + amount);
      request.granted();
    }
    this.stopListeningIfIdle();
  }

  private stopListeningIfIdle(): void {
    if (this.waitingCount === 0 && this.listening) {
      this.listening = false;
      this.service.off('change', this.schedulePump);
    }
  }
}
