/**
 * What the deployer needs from a reverse proxy: point a stage's domain at a container, and put
 * it back. The Nginx Proxy Manager adapter implements it; without NPM a no-op router is used
 * and the app is reached through its published port.
 */

export interface RouteTarget {
  project: string;
  stage: string;
  /** Full domain, e.g. stage-dev-web.example.com */
  domain: string;
  containerName: string;
  /** Port inside the container. */
  port: number;
  /** Port published on the Docker host. */
  hostPort?: number;
  /**
   * The Docker host hostPort is published on when it is not this one: the node of a Swarm task
   * elsewhere in the Swarm (README "Running on a Docker Swarm"). Absent: this host.
   */
  hostAddress?: string;
  /**
   * Every replica of a Swarm service of more than one, each at its own published port (and node):
   * a router that balances spreads requests over them; the others go to hostPort/hostAddress,
   * the first replica's.
   */
  replicas?: { hostPort: number; hostAddress?: string }[];
  /** The container's health path; a proxy that can probe the route asks it through the proxy. */
  healthPath?: string;
}

import type { RouteSnapshot } from '../core/deploy-types.js';

/** Stored with the deploy (core/deploy-types.ts), so a failure or crash after a switch can put it back. */
export type { RouteSnapshot };

/** Where a certificate the router asked for stands (`global.npm.certificate: request`). */
export type CertificateStatus =
  | { state: 'requesting'; since: string; attempts: number }
  | { state: 'issued'; certificateId: number; attempts: number }
  | { state: 'failed'; error: string; attempts: number; retryAt: string };

/**
 * What switchTo rejects with once it sent a write whose outcome it does not know (no answer in
 * time, a reset, an error answer): the proxy may route to the target all the same, so `before`
 * is what puts the route back, as the snapshot a successful switch returns would.
 */
export class RouteWriteError extends Error {
  constructor(
    message: string,
    readonly before: RouteSnapshot,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RouteWriteError';
  }
}

export interface ProxyRouter {
  /**
   * Points the domain at the target; returns what it was before. Rejects with a RouteWriteError
   * when it fails after it may have written.
   */
  switchTo(target: RouteTarget, signal?: AbortSignal): Promise<RouteSnapshot>;
  /** Puts a domain back as a snapshot describes it (removes a route that did not exist). */
  restore(snapshot: RouteSnapshot, signal?: AbortSignal): Promise<void>;
  /** Removes the route of a domain if docker-watcher owns it; returns whether it did. */
  remove(domain: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * After switchTo: waits (bounded) until the proxy serves the target, and resolves a line for
   * the deploy log; rejects when the proxy cannot serve it (the switch then fails and is undone).
   */
  confirm(target: RouteTarget, signal?: AbortSignal): Promise<string>;
  /**
   * After a switch: resolves once the old container has nothing in flight through the router
   * (or the router's drain timeout passed and it closed what was left), with a line for the
   * deploy log. Routers without it are drained by global.docker.drain_seconds.
   */
  drain?(containerName: string, signal?: AbortSignal): Promise<string>;
  /** The certificate the router asked for the domain, if it asked for one. */
  certificateStatus?(domain: string): CertificateStatus | undefined;
}

/** Router for set-ups without a proxy: traffic reaches containers through their published ports. */
export const noProxyRouter: ProxyRouter = {
  switchTo: async (target) => ({ domain: target.domain }),
  restore: async () => {},
  remove: async () => false,
  confirm: async () => 'no proxy: the container is reached at its published port',
};
