import {
  RouteWriteError,
  type ProxyRouter,
  type RouteSnapshot,
  type RouteTarget,
} from '../../src/proxy/router.js';

/**
 * A ProxyRouter that remembers where each domain points and records every call. A snapshot's
 * state is the previous target (or none), so `restore` puts exactly that back.
 */
export class FakeRouter implements ProxyRouter {
  readonly routes = new Map<string, RouteTarget>();
  /** Set by a test to act as a router that drains by in-flight requests (the built-in one). */
  drain?: (containerName: string, signal?: AbortSignal) => Promise<string>;
  readonly calls: { method: 'switchTo' | 'restore' | 'remove'; domain: string; containerName?: string }[] =
    [];
  /** Domains whose switch was confirmed (kept apart from `calls`, which lists the writes). */
  readonly confirmed: string[] = [];
  #failures: Partial<Record<'switchTo' | 'restore' | 'remove' | 'confirm', Error[]>> = {};
  #held: Promise<void> | undefined;
  #lostAnswers = 0;

  /** The next call of `method` rejects with `error`. */
  failNext(
    method: 'switchTo' | 'restore' | 'remove' | 'confirm',
    error = new Error(`fake router ${method} failure`),
  ): void {
    (this.#failures[method] ??= []).push(error);
  }

  /**
   * The next switchTo writes the route but its answer is lost (a proxy that timed out after it
   * stored the change): it rejects with a RouteWriteError, as the NPM router does.
   */
  loseNextSwitchAnswer(): void {
    this.#lostAnswers++;
  }

  /** The next switchTo is recorded at once but takes effect only after `release()` (a slow proxy). */
  holdNextSwitch(): { release(): void } {
    let release!: () => void;
    this.#held = new Promise<void>((resolve) => (release = resolve));
    return { release };
  }

  /** Container name the domain forwards to, if any. */
  targetOf(domain: string): string | undefined {
    return this.routes.get(domain)?.containerName;
  }

  async switchTo(target: RouteTarget): Promise<RouteSnapshot> {
    this.calls.push({ method: 'switchTo', domain: target.domain, containerName: target.containerName });
    const held = this.#held;
    this.#held = undefined;
    if (held) await held;
    this.#maybeFail('switchTo');
    const before = this.routes.get(target.domain);
    this.routes.set(target.domain, { ...target });
    const snapshot = before ? { domain: target.domain, state: before } : { domain: target.domain };
    if (this.#lostAnswers > 0) {
      this.#lostAnswers--;
      throw new RouteWriteError(`fake router: no answer to the switch of ${target.domain}`, snapshot);
    }
    return snapshot;
  }

  async restore(snapshot: RouteSnapshot): Promise<void> {
    this.calls.push({ method: 'restore', domain: snapshot.domain });
    this.#maybeFail('restore');
    if (snapshot.state === undefined) this.routes.delete(snapshot.domain);
    else this.routes.set(snapshot.domain, { ...(snapshot.state as RouteTarget) });
  }

  async remove(domain: string): Promise<boolean> {
    this.calls.push({ method: 'remove', domain });
    this.#maybeFail('remove');
    return this.routes.delete(domain);
  }

  async confirm(target: RouteTarget): Promise<string> {
    this.#maybeFail('confirm');
    // Like NPM (test/contract): a domain that has no route after the switch is not served.
    if (!this.routes.has(target.domain)) throw new Error(`fake router has no route for ${target.domain}`);
    this.confirmed.push(target.domain);
    return `fake proxy serves ${target.containerName}`;
  }

  #maybeFail(method: 'switchTo' | 'restore' | 'remove' | 'confirm'): void {
    const error = this.#failures[method]?.shift();
    if (error) throw error;
  }
}
