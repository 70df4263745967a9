/**
 * Work a request starts and does not wait for (comment commands answer on the forge, not in the
 * webhook response, which GitHub wants within 10 s). Tracked so that tests and shutdown can wait.
 */
export interface BackgroundTasks {
  add(task: Promise<unknown>): void;
  /** Resolves when every task added so far (and any they added) has settled. */
  idle(): Promise<void>;
}

/** A task set; a task's failure is the task's own business (it should log), never unhandled. */
export function createBackgroundTasks(): BackgroundTasks {
  const running = new Set<Promise<unknown>>();
  return {
    add(task) {
      const tracked = task.then(
        () => undefined,
        () => undefined,
      );
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
