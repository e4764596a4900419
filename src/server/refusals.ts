import type { OutgoingRejection } from '../wire/work-messages.js';

/** How many refused block ids one coalesced Rejected names besides the first. */
const NAMED_IDS = 5;

/**
 * The refusals of one request, sent as one Rejected when the request has
 * been read: a list of 100,000 ids the stream does not hold must cost one
 * reply, not 100,000 (work and memory per message stay bounded).
 */
export class Refusals {
  private first: OutgoingRejection | null = null;
  private count = 0;
  /** Ids of the refusals after the first, at most NAMED_IDS. */
  private more: bigint[] = [];

  add(rejection: OutgoingRejection): void {
    this.count++;
    if (this.first === null) this.first = rejection;
    else if (this.more.length < NAMED_IDS && rejection.blockId !== null) this.more.push(rejection.blockId);
  }

  /** The one Rejected to send for the refusals added since the last take, or null. Its code and about_block are the first refusal's. */
  take(): OutgoingRejection | null {
    const { first, count, more } = this;
    // Most requests refuse nothing: that case allocates nothing.
    if (first === null) return null;
    this.first = null;
    this.count = 0;
    this.more = [];
    if (count === 1) return first;
    const others = count - 1;
    const named = more.length > 0 ? `: block${more.length > 1 ? 's' : ''} ${more.join(', ')}${others > more.length ? ', …' : ''}` : '';
    return { ...first, message: `${count} items of this request were refused; the first: ${first.message}; ${others} more${named}` };
  }
}
