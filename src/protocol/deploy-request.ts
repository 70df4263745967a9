import { z } from 'zod';
import type { DeploySource } from '../core/deploy-types.js';
import { isRepositoryName, REPOSITORY_EXPECTED } from '../core/repository-name.js';

/** Docker's tag grammar: a word character first, then up to 127 of [A-Za-z0-9_.-]. */
export const TAG_REGEX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A content digest as registries report it. */
export const DIGEST_REGEX = /^sha256:[a-f0-9]{64}$/;

const name = (what: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, `a ${what} name of letters, digits, "_", "." and "-"`);

/** Links from a request end up in notifications and statuses: http(s) only. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000);

/** The CI run a deploy request comes from. */
export const deploySourceSchema = z.strictObject({
  forge: z.enum(['github', 'gitea']),
  serverUrl: httpUrl,
  repository: z.string().refine(isRepositoryName, REPOSITORY_EXPECTED),
  sha: z.string().regex(/^[0-9a-f]{7,64}$/i, 'a commit sha of 7 to 64 hex digits'),
  ref: z.string().min(1).max(500).optional(),
  pr: z.int().positive().optional(),
  runUrl: httpUrl.optional(),
  actor: z.string().min(1).max(100).optional(),
});

/**
 * The body of a signed `POST /api/deploys`. The signature covers the raw bytes of this JSON;
 * the app verifies it before it trusts any field. Without `image` the project's configured image
 * is deployed; when given it must be that image.
 */
export const deployRequestSchema = z.strictObject({
  project: name('project'),
  stage: name('stage').optional(),
  image: z
    .string()
    .min(1)
    .max(255)
    .regex(
      /^[a-z0-9][a-z0-9._/:-]*$/,
      'an image repository without tag or digest, e.g. registry.example.com/owner/app',
    )
    .refine((image) => !(image.split('/').at(-1) ?? '').includes(':'), {
      message: 'an image repository without a tag: send the tag in "tag"',
    })
    .optional(),
  tag: z.string().regex(TAG_REGEX, 'a Docker tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'),
  digest: z.string().regex(DIGEST_REGEX, 'sha256:<64 lowercase hex digits>').optional(),
  /** The commit and CI run; absent for a deploy sent by hand (the CLI outside CI). */
  source: deploySourceSchema.optional(),
});

export type DeployRequest = z.infer<typeof deployRequestSchema>;

/** The request's source as the deploy domain types it (absent fields left out, not undefined). */
export function toDeploySource(source: NonNullable<DeployRequest['source']>): DeploySource {
  return Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined),
  ) as unknown as DeploySource;
}

/** The body of a manual `POST /api/projects/:project/stages/:stage/deploy`. */
export const manualDeploySchema = z.strictObject({
  tag: deployRequestSchema.shape.tag,
  digest: deployRequestSchema.shape.digest,
});

/** What the app answers to an accepted deploy request (HTTP 202). */
export interface DeployAccepted {
  id: string;
  status: string;
  stage: string;
  urls: { self: string; events: string; dashboard: string };
  /** Short-lived bearer token that lets the caller read this one deploy and its events. */
  followToken?: string;
}

/** Turns zod issues into `{path, message}` pairs for error responses and messages. */
export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
