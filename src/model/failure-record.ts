/** A failed attempt of a block, as the server records it and the progress feed and summary report it. */
export interface FailureRecord {
  taskId: string;
  blockId: number;
  workerId: string;
  error: string;
  traceback: string;
  /** 0 for the block's first attempt. */
  attempt: number;
  /** True when no retry is left: the block failed for good. */
  permanent: boolean;
}
