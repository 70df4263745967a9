import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import type { CertificateStatus } from '../router.js';
import type { NpmCertificateRequest, NpmClient } from './npm-client.js';
import type { NpmCertificate } from './npm-types.js';

/** The longest pause between two tries of a failing certificate request. */
const MAX_RETRY_MS = 6 * 3600_000;

export interface CertificateRequestsOptions {
  client: Pick<NpmClient, 'requestCertificate'>;
  clock: Clock;
  logger: Logger;
  /** Pause before the first retry of a failed request; doubles after each failure. */
  retryMs: number;
  /** The DNS challenge settings, if NPM is to use one (credentials already read from their env var). */
  dns?: NpmCertificateRequest['dns'];
  /** Called with each certificate NPM issued, to attach it to the domain's host. */
  onIssued(domain: string, certificate: NpmCertificate): Promise<void>;
}

/**
 * The Let's Encrypt certificate requests docker-watcher sent to NPM, one per domain, in the
 * background: nothing waits for them (NPM answers only once certbot is done). A failed request
 * is sent again after a pause that doubles up to 6 hours; the status of each domain is what the
 * deploy log and the dashboard show. Held in memory: after a restart, the first steady route of a
 * domain without a certificate asks again.
 */
export function createCertificateRequests(options: CertificateRequestsOptions) {
  const { client, clock, logger } = options;
  const statuses = new Map<string, CertificateStatus>();
  const running = new Set<Promise<void>>();
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  const attempt = (domain: string, attempts: number): void => {
    statuses.set(domain, { state: 'requesting', since: clock.now().toISOString(), attempts });
    logger.info("asking NPM for a Let's Encrypt certificate", { domain, attempt: attempts });
    const work = (async () => {
      try {
        const certificate = await client.requestCertificate(
          { domain, ...(options.dns ? { dns: options.dns } : {}) },
          undefined,
        );
        statuses.set(domain, { state: 'issued', certificateId: certificate.id, attempts });
        logger.info("NPM issued a Let's Encrypt certificate", { domain, certificateId: certificate.id });
        await options.onIssued(domain, certificate).catch((error: unknown) =>
          logger.warn('could not attach the new certificate; the next route check attaches it', {
            domain,
            certificateId: certificate.id,
            error: errorMessage(error),
          }),
        );
      } catch (error) {
        const waitMs = Math.min(options.retryMs * 2 ** (attempts - 1), MAX_RETRY_MS);
        const retryAt = new Date(clock.now().getTime() + waitMs).toISOString();
        statuses.set(domain, { state: 'failed', error: errorMessage(error), attempts, retryAt });
        logger.warn("Let's Encrypt certificate request failed; the site stays on HTTP, retrying later", {
          domain,
          attempt: attempts,
          retryAt,
          error: errorMessage(error),
        });
        if (closed) return;
        const timer = setTimeout(() => {
          timers.delete(domain);
          if (!closed) attempt(domain, attempts + 1);
        }, waitMs);
        timer.unref();
        timers.set(domain, timer);
      }
    })();
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  return {
    /**
     * Asks for a certificate for `domain` unless one was asked for already (running, issued, or
     * failed and waiting for its retry). Returns at once.
     */
    ensure(domain: string): CertificateStatus {
      const known = statuses.get(domain);
      if (!known && !closed) attempt(domain, 1);
      return statuses.get(domain)!;
    },
    /** Forgets a domain whose certificate NPM no longer has (or whose host was removed). */
    forget(domain: string): void {
      const status = statuses.get(domain);
      if (status?.state === 'requesting') return;
      clearTimeout(timers.get(domain));
      timers.delete(domain);
      statuses.delete(domain);
    },
    status: (domain: string): CertificateStatus | undefined => statuses.get(domain),
    /** Resolves once no request is running (tests; shutdown does not wait for certbot). */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.all([...running]);
    },
    close(): void {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

export type CertificateRequests = ReturnType<typeof createCertificateRequests>;
