import type { RouteTarget } from '../router.js';

const CLOSE_GRACE_MS = 1000;

/** A live route: the stage's target and the base URLs the router forwards to. */
export interface Route {
  target: RouteTarget;
  /**
   * e.g. http://127.0.0.1:32769 or http://dw-web-dev-blue:8080; one per replica of a Swarm
   * service reached by its published ports, taken in turn.
   */
  upstreams: readonly string[];
}

/** Something that holds a connection open to a container: a request in flight, a WebSocket. */
export interface InFlight {
  /** Ends it at once (the drain timeout passed). */
  close(): void;
}

/**
 * The built-in router's routes and in-flight work, owned by the router alone. A switch is one
 * Map write, so a request sees either the old route or the new one, never a mix; what is in
 * flight is counted per container, so a drain waits for exactly the old container's requests.
 */
export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #inFlight = new Map<string, Set<InFlight>>();
  readonly #idle = new Map<string, Set<() => void>>();
  /** Per domain, how many requests were sent to its upstreams (the round-robin's turn). */
  readonly #turns = new Map<string, number>();
  /** Told of every route set (the router's request hold releases what waited for it). */
  onSet: ((domain: string) => void) | undefined;

  get(domain: string): Route | undefined {
    return this.#routes.get(domain);
  }

  set(domain: string, route: Route): void {
    this.#routes.set(domain, route);
    this.onSet?.(domain);
  }

  delete(domain: string): boolean {
    this.#turns.delete(domain);
    return this.#routes.delete(domain);
  }

  /** The upstream of the route's next request: its replicas in turn. */
  upstreamOf(route: Route): string {
    const { domain } = route.target;
    const turn = this.#turns.get(domain) ?? 0;
    this.#turns.set(domain, (turn + 1) % route.upstreams.length);
    return route.upstreams[turn % route.upstreams.length]!;
  }

  /** Counts work against a container until the returned function is called (once). */
  begin(containerName: string, work: InFlight): () => void {
    let open = this.#inFlight.get(containerName);
    if (!open) this.#inFlight.set(containerName, (open = new Set()));
    open.add(work);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      open.delete(work);
      if (open.size > 0) return;
      this.#inFlight.delete(containerName);
      for (const wake of this.#idle.get(containerName) ?? []) wake();
      this.#idle.delete(containerName);
    };
  }

  /** How many requests and connections are open to a container. */
  inFlight(containerName: string): number {
    return this.#inFlight.get(containerName)?.size ?? 0;
  }

  /**
   * Resolves once nothing is open to the container ('drained'), or after timeoutMs, when what
   * is still open is closed ('closed N'), or when the signal aborts.
   */
  async drain(containerName: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    if (this.inFlight(containerName) === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      wake = () => resolve('idle');
      let waiters = this.#idle.get(containerName);
      if (!waiters) this.#idle.set(containerName, (waiters = new Set()));
      waiters.add(wake);
    });
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
    );
    const aborted = new Promise<'timeout'>((resolve) =>
      signal?.addEventListener('abort', () => resolve('timeout')),
    );
    try {
      if ((await Promise.race([idle, timeout, aborted])) === 'idle') return 0;
      const open = [...(this.#inFlight.get(containerName) ?? [])];
      for (const work of open) work.close();
      // Closing is asynchronous: give the sockets a moment to go, so the caller stops an idle container.
      await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
      return open.length;
    } finally {
      clearTimeout(timer);
      if (wake) this.#idle.get(containerName)?.delete(wake);
    }
  }
}
