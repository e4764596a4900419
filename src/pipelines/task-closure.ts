import type { Task } from '../model/task.js';

/** The tasks and every task they require, each once. */
export function closure(tasks: readonly Task[]): Task[] {
  const seen = new Set<Task>();
  const visit = (task: Task): void => {
    if (seen.has(task)) return;
    for (const up of task.upstreamTasks) visit(up);
    seen.add(task);
  };
  tasks.forEach(visit);
  return [...seen];
}
