import { z } from 'zod';
import { isRepositoryName, REPOSITORY_EXPECTED } from '../core/repository-name.js';
import { isProxyEntry } from '../net/client-address.js';

/**
 * The one description of docker-watcher's YAML config. It gives the TypeScript types, the runtime
 * checks, the JSON Schema for editors (`docker-watcher schema`) and the README reference table.
 * Every object is strict: an unknown key (a typo such as `tag_patern`) is an error, not ignored.
 */

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as NPM_PASSWORD')
  .describe(
    'Name of the environment variable that holds the value (the value itself never goes in the file)',
  );

const seconds = (def: number, what: string) => z.number().positive().default(def).describe(what);

/** Body formats of notification webhooks (src/notify/formats.ts builds each). */
export const notificationFormatSchema = z
  .enum(['json', 'ntfy', 'discord', 'slack', 'gotify'])
  .describe(
    "Body of notifications: `json` (documented docker-watcher body), `ntfy` (topic URL), `discord` (webhook URL), `slack` (Slack, Mattermost or Rocket.Chat incoming webhook), `gotify` (the server's /message URL)",
  );

/** What a notification can be about. */
export const notificationEventSchema = z.enum([
  'started',
  'succeeded',
  'failed',
  'rolled_back',
  'awaiting_approval',
]);

const notificationTokenEnv = envName.describe(
  'Environment variable holding the token of the notification endpoint (ntfy: sent as a bearer token; gotify: as X-Gotify-Key; json: as a bearer token)',
);

/** Health-check timing; every field has a default so a project may override just one. */
export const healthSchema = z
  .strictObject({
    timeout_seconds: seconds(5, 'Timeout of one health probe'),
    interval_seconds: seconds(1, 'Pause between health probes'),
    deadline_seconds: seconds(120, 'How long a new container has to become healthy before the deploy fails'),
    healthy_after: z.int().min(1).default(1).describe('Consecutive good probes needed'),
    client_error_grace_seconds: seconds(
      30,
      'How long the same 4xx answer may last before the health phase gives up early (a wrong health path does not heal)',
    ),
  })
  .describe('Health-check timing');

/** A project's health overrides: only what it sets replaces the global value (no defaults here). */
export const projectHealthSchema = z
  .strictObject({
    timeout_seconds: z.number().positive().optional().describe('Timeout of one health probe'),
    interval_seconds: z.number().positive().optional().describe('Pause between health probes'),
    deadline_seconds: z
      .number()
      .positive()
      .optional()
      .describe('How long a new container has to become healthy'),
    healthy_after: z.int().min(1).optional().describe('Consecutive good probes needed'),
    client_error_grace_seconds: z
      .number()
      .positive()
      .optional()
      .describe('How long the same 4xx answer may last before the health phase gives up early'),
  })
  .describe('Health-check timing for this project; unset keys take global.health');

export const resourcesSchema = z
  .strictObject({
    memory: z
      .string()
      .regex(/^\d+(\.\d+)?\s*[kmgKMG]?[bB]?$/, 'a size such as 512m or 1g')
      .optional()
      .describe('Memory limit of each container, e.g. 512m'),
    cpus: z.number().positive().max(1024).optional().describe('CPU limit in cores, e.g. 0.5'),
  })
  .describe('Resource limits applied to each deployed container');

export const logSchema = z
  .strictObject({
    driver: z.string().min(1).default('json-file').describe('Docker log driver of deployed containers'),
    options: z
      .record(z.string(), z.string())
      .default({ 'max-size': '10m', 'max-file': '3' })
      .describe('Log driver options; the default caps logs at 3 files of 10 MB'),
  })
  .describe('Log driver for deployed containers, so no app can fill the disk');

/** Docker Swarm service settings (runtime: swarm); see README "Running on a Docker Swarm". */
export const swarmSchema = z
  .strictObject({
    replicas: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe('Tasks of each version; a deploy is healthy only when every one answers (default 1)'),
    placement: z
      .array(z.string().min(1))
      .optional()
      .describe('Placement constraints, e.g. node.role==worker or node.labels.zone==home'),
    update: z
      .strictObject({
        parallelism: z.int().min(0).optional().describe('Tasks restarted at once by a restart (default 1)'),
        delay_seconds: z.number().min(0).optional().describe('Pause between restarted batches (default 0)'),
        order: z
          .enum(['start-first', 'stop-first'])
          .optional()
          .describe('Restart a task by starting its replacement first (default) or stopping it first'),
      })
      .optional()
      .describe("Docker's update_config of each service, used when a version is restarted in place"),
    network: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Attachable overlay network of the services (created if missing; default: global.network + `-swarm`)',
      ),
    start_timeout_seconds: z
      .number()
      .positive()
      .optional()
      .describe('How long the tasks of a new version may take to be scheduled and started (default 60)'),
  })
  .describe('Docker Swarm settings (used when runtime is swarm)');

/** Where a project's versions run: containers on the engine, or services of its Swarm. */
export const runtimeSchema = z
  .enum(['docker', 'swarm'])
  .describe(
    'Where versions run: `docker` as containers on the engine, `swarm` as services of the Swarm the engine manages',
  );

export const npmSchema = z
  .strictObject({
    url: z.url().describe('Base URL of Nginx Proxy Manager, e.g. http://npm:81'),
    email: z.string().min(1).describe('NPM user that docker-watcher logs in as'),
    password_env: envName.describe("Environment variable holding that user's password"),
    forward: z
      .enum(['network', 'host', 'router'])
      .default('network')
      .describe(
        'How NPM reaches containers: `network` by container name on the shared network (NPM runs in Docker on it), `host` by forward_host and the published port; `router`: every stage domain to the built-in router (global.router) at forward_host and global.router.port, written once per stage, so deploys never write to NPM',
      ),
    forward_host: z
      .string()
      .optional()
      .describe('With forward: host or router, the address NPM uses to reach the Docker host'),
    certificate: z
      .union([z.literal('auto'), z.literal('none'), z.literal('request'), z.int().positive()])
      .default('auto')
      .describe(
        "`auto`: an existing certificate that covers the domain (wildcards too); `request`: the same, and when none covers it NPM is asked for a Let's Encrypt certificate in the background (HTTP until NPM has it); `none`; or a certificate id",
      ),
    certificate_dns: z
      .strictObject({
        provider: z
          .string()
          .min(1)
          .describe(
            "NPM's name of the DNS provider, e.g. cloudflare (GET /api/nginx/certificates/dns-providers)",
          ),
        credentials_env: envName.describe(
          "Environment variable holding the provider's credentials file content, e.g. dns_cloudflare_api_token=...",
        ),
        propagation_seconds: z
          .int()
          .min(0)
          .max(3600)
          .optional()
          .describe('Seconds certbot waits for the DNS record to propagate'),
      })
      .optional()
      .describe(
        'With certificate: request, ask for the certificate with a DNS challenge through this provider; left out: the HTTP challenge (the domain must reach NPM on port 80)',
      ),
    certificate_retry_seconds: z
      .number()
      .positive()
      .max(86_400)
      .default(300)
      .describe(
        'With certificate: request, the pause before a failed certificate request is sent again; it doubles after each failure, up to 6 hours',
      ),
    ssl_forced: z.boolean().default(true).describe('Redirect HTTP to HTTPS when a certificate is set'),
    http2: z.boolean().default(true).describe('HTTP/2 support when a certificate is set'),
    websockets: z.boolean().default(true).describe('Allow websocket upgrades'),
    block_exploits: z.boolean().default(true).describe('NPM\'s "block common exploits"'),
    adopt_existing: z
      .boolean()
      .default(false)
      .describe(
        'Take over a proxy host that a person created for the same domain (otherwise the deploy refuses)',
      ),
    probe_url: z
      .url()
      .optional()
      .describe(
        "NPM's HTTP (or HTTPS) port as docker-watcher reaches it, e.g. http://npm:80; the switch then waits until a request there for the stage's domain reaches the new container",
      ),
    live_timeout_seconds: z
      .number()
      .positive()
      .max(300)
      .default(15)
      .describe(
        'How long the switch waits for NPM to report the host online (and, with probe_url, for the proxy to serve the new container) before it fails and puts the old target back',
      ),
    route_check_seconds: z
      .number()
      .min(0)
      .default(30)
      .describe(
        "How often each live stage's proxy host is checked and re-created when it is missing (a host already right gets no write); 0 turns the checks off",
      ),
  })
  .describe(
    'Nginx Proxy Manager; leave out to deploy without a proxy (containers reachable by published port)',
  );

export const forgeSchema = z
  .strictObject({
    type: z.enum(['github', 'gitea']).describe('Kind of forge'),
    url: z
      .url()
      .optional()
      .describe(
        'Web URL of the forge (default https://github.com for GitHub); required for Gitea unless api_url is set',
      ),
    api_url: z
      .url()
      .optional()
      .describe(
        'API base; default https://api.github.com for github.com, api.<name>.ghe.com for <name>.ghe.com, <url>/api/v3 for GitHub Enterprise Server, <url>/api/v1 for Gitea',
      ),
    token_env: envName
      .optional()
      .describe('Environment variable holding the API token used for statuses and comments'),
    webhook_secret_env: envName.optional().describe('Environment variable holding the webhook secret'),
    app_id: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('GitHub App id: report as the App (check runs, its own bot identity) instead of token_env'),
    private_key_file: z
      .string()
      .min(1)
      .optional()
      .describe("GitHub App: path of the App's private key (PEM), relative to the config file"),
    private_key_env: envName
      .optional()
      .describe("GitHub App: environment variable holding the App's private key (PEM)"),
    installation_id: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('GitHub App: the installation to use (default: looked up per repository)'),
  })
  .describe('A GitHub or Gitea server that docker-watcher reports to');

export const registrySchema = z
  .strictObject({
    url: z.url().describe('Registry URL, e.g. https://git.example.com or https://ghcr.io'),
    type: z.enum(['gitea', 'github', 'generic']).default('generic').describe('Kind of registry'),
    username: z.string().optional().describe('User name for pulls and polling'),
    username_env: envName.optional().describe('Environment variable holding the user name'),
    token_env: envName.optional().describe('Environment variable holding the password or token'),
    poll_interval_seconds: z
      .number()
      .min(5)
      .default(60)
      .describe('How often the poller looks for new tags (0 turns polling off per project with poll: false)'),
    insecure: z.boolean().default(false).describe('Plain HTTP registry (only for loopback or a trusted LAN)'),
  })
  .describe('A container registry images are pulled from');

export const stageSchema = z
  .strictObject({
    tag_pattern: z
      .string()
      .min(1)
      .describe(
        'Glob matched against the whole tag: `*` any run of characters, `?` one character, e.g. dev-* or v*',
      ),
    auto_deploy: z
      .boolean()
      .default(false)
      .describe('Deploy matching tags at once; otherwise they wait for approval'),
    confirm: z
      .boolean()
      .default(false)
      .describe('Require an explicit approval even when the request came from CI'),
    promote_from: z
      .string()
      .optional()
      .describe('Only accept the version that is live in this stage of the same project'),
    subdomain: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
        'a DNS label such as launcher',
      )
      .optional()
      .describe('Custom subdomain under global.domain, overriding subdomain_pattern'),
    domain: z.string().optional().describe('Full custom domain, overriding subdomain and the pattern'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment for this stage only'),
    strategy: z
      .enum(['blue-green', 'recreate'])
      .default('blue-green')
      .describe(
        'How a deploy replaces the live version: `blue-green` starts the new container and switches once it is healthy (no downtime; old and new run side by side for a moment); `recreate` stops the old one first, then starts and health-checks the new one, and starts the old one again if that fails (a short downtime; for apps that must never run twice, such as one writer of a SQLite file)',
      ),
  })
  .describe('A stage (dev, rel, prod, ...) of a project');

/** Preview environments per pull request (src/previews/): a stage `pr-<n>` that comes and goes. */
export const previewsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Deploy a preview stage pr-<n> for CI requests that carry a PR number'),
    subdomain_pattern: z
      .string()
      .regex(/\{pr\}/, 'a pattern that contains {pr}, e.g. pr-{pr}-{project}')
      .default('pr-{pr}-{project}')
      .describe(
        'Subdomain of a preview under global.domain; {pr} and {project} are replaced (one label, so one wildcard certificate covers every preview)',
      ),
    tag_pattern: z
      .string()
      .min(1)
      .default('*')
      .describe('Only CI requests whose tag matches this glob make a preview, e.g. pr-*'),
    max: z.int().min(1).max(100).default(5).describe('Live previews per project at most'),
    at_max: z
      .enum(['evict-idle', 'refuse'])
      .default('evict-idle')
      .describe(
        'At max: `evict-idle` removes the preview deployed longest ago, `refuse` refuses the request naming the previews to remove',
      ),
    ttl_hours: z
      .number()
      .min(0)
      .default(72)
      .describe('A preview without a deploy for this long is removed; 0 keeps it until its PR closes'),
    from: z
      .string()
      .optional()
      .describe(
        "A stage of this project whose env previews copy (otherwise they get only the project's env)",
      ),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment of previews only'),
    resources: resourcesSchema
      .optional()
      .describe("Resource limits of preview containers (default: the project's)"),
    forks: z
      .boolean()
      .default(false)
      .describe('Also make previews for PRs from forks (see README "Previews")'),
  })
  .describe('Preview environments per pull request');

export const projectSchema = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .describe('Image repository without tag or digest, e.g. git.example.com/alexei/web-app-launcher'),
    registry: z
      .string()
      .optional()
      .describe('Name of an entry under `registries` (credentials for pulls and polling)'),
    port: z.int().min(1).max(65535).describe('Port the app listens on inside the container'),
    healthcheck: z
      .string()
      .startsWith('/')
      .default('/')
      .describe('HTTP path that answers 2xx when the app is healthy'),
    env: z.record(z.string(), z.string()).default({}).describe('Environment of the container'),
    env_file: z.string().optional().describe('File of KEY=value lines, relative to the config file'),
    volumes: z
      .array(z.string())
      .default([])
      .describe('Volumes as host:container[:ro], host paths relative to the config file'),
    secret_env: envName.optional().describe("Environment variable holding this project's own signing secret"),
    repository: z
      .string()
      .refine(isRepositoryName, REPOSITORY_EXPECTED)
      .optional()
      .describe('Repository on the forge (owner/name) that deploys report to'),
    forge: z.string().optional().describe('Name of an entry under `forges` (default: the only one)'),
    approvers: z
      .array(z.string())
      .default([])
      .describe('Users allowed to run comment commands besides writers'),
    allow_self_approval: z.boolean().default(true).describe('May the author of a change approve its deploy'),
    pull_policy: z
      .enum(['always', 'if-missing', 'never'])
      .default('always')
      .describe('When to pull: deploys by digest never pull what is already present'),
    poll: z.boolean().default(true).describe('Let the registry poller deploy this project'),
    notification_url: z.url().optional().describe('Extra notification webhook for this project'),
    notification_format: notificationFormatSchema
      .optional()
      .describe("Body format for this project's notification_url (default: global.notification_format)"),
    notification_token_env: notificationTokenEnv
      .optional()
      .describe("Token for this project's notification_url (the global token is never sent to it)"),
    notification_events: z
      .array(notificationEventSchema)
      .optional()
      .describe("Events sent to this project's notification_url (default: global.notification_events)"),
    keep_versions: z.int().min(0).max(20).optional().describe('Stopped versions kept for instant rollback'),
    resources: resourcesSchema.optional(),
    health: projectHealthSchema.optional(),
    runtime: runtimeSchema.optional().describe('Where this project runs (default: global.runtime)'),
    swarm: swarmSchema.optional().describe('Swarm settings of this project; unset keys take global.swarm'),
    stages: z.record(z.string(), stageSchema).describe('Stages by name'),
    previews: previewsSchema.optional(),
  })
  .describe('A deployable app');

/** global.router: the built-in router (src/proxy/builtin/), the stable URL of every stage. */
export const routerSchema = z
  .strictObject({
    host: z
      .string()
      .default('127.0.0.1')
      .describe('Address the router listens on (0.0.0.0 to serve other machines)'),
    port: z.int().min(1).max(65535).default(8081).describe('Port the router listens on (80 in production)'),
    public_port: z
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        'Port in the stage URLs shown, when people reach the router through another port (e.g. 443 behind a TLS proxy); default: port',
      ),
    public_scheme: z
      .enum(['http', 'https'])
      .default('http')
      .describe('Scheme of the stage URLs shown (https when a TLS proxy sits in front of the router)'),
    drain_timeout_seconds: z
      .number()
      .min(0)
      .default(30)
      .describe(
        "After a switch, how long the old container's in-flight requests, streams and WebSockets may run before they are closed and it is stopped",
      ),
    upstream_timeout_seconds: z
      .number()
      .min(1)
      .default(60)
      .describe('A container that sends nothing for this long is answered with 504 (a hung upstream)'),
    hold_seconds: z
      .number()
      .min(0)
      .max(60)
      .default(5)
      .describe(
        "How long a request for a stage with no route yet waits for one while docker-watcher starts or the stage's first deploy runs, before the 503; 0: answered at once",
      ),
    hold_max_requests: z
      .int()
      .min(0)
      .max(100_000)
      .default(1000)
      .describe(
        'At most this many requests wait at a time (hold_seconds); the next ones get the 503 at once',
      ),
  })
  .describe(
    'Built-in router: serves every stage at http://<stage domain>:<port>/ and switches in memory, without reloads; leave out for none (or NPM)',
  );

export const globalSchema = z
  .strictObject({
    domain: z.string().min(1).default('localhost').describe('Domain under which stage subdomains are made'),
    network: z
      .string()
      .min(1)
      .default('docker-watcher')
      .describe('Shared Docker network (created if missing)'),
    subdomain_pattern: z
      .string()
      .default('stage-{stage}-{project}')
      .describe('Subdomain of each stage; {stage} and {project} are replaced'),
    notification_url: z.url().optional().describe('Webhook that receives deploy notifications'),
    notification_format: notificationFormatSchema.default('json'),
    notification_token_env: notificationTokenEnv.optional(),
    notification_events: z
      .array(notificationEventSchema)
      .default(['started', 'succeeded', 'failed', 'rolled_back', 'awaiting_approval'])
      .describe(
        'Events that are sent: started, succeeded, failed (also interrupted), rolled_back, awaiting_approval',
      ),
    metrics_public: z
      .boolean()
      .default(false)
      .describe(
        'Serve GET /metrics without the API token (only where the port is not reachable from outside)',
      ),
    listen: z
      .strictObject({
        host: z.string().default('0.0.0.0').describe('Address the app listens on'),
        port: z.int().min(1).max(65535).default(8080).describe('Port the app listens on'),
      })
      .prefault({})
      .describe('HTTP listener of the app'),
    public_url: z.url().optional().describe('URL at which people and CI reach the app (links in statuses)'),
    trusted_proxies: z
      .array(
        z.string().refine(isProxyEntry, {
          error: (issue) =>
            `expected an IP address or a CIDR range such as 172.18.0.0/16, found "${String(issue.input)}"`,
        }),
      )
      .default([])
      .describe(
        'Reverse proxies (addresses or CIDR ranges, e.g. the NPM container network) whose X-Forwarded-For names the client; without them the socket peer is the client',
      ),
    data_dir: z
      .string()
      .default('./data')
      .describe('Directory of the SQLite database, relative to the config file'),
    secret_env: envName
      .default('DOCKER_WATCHER_SECRET')
      .describe('Environment variable holding the shared secret deploy requests are signed with'),
    api_token_env: envName
      .default('DOCKER_WATCHER_TOKEN')
      .describe('Environment variable holding the token for the API and dashboard'),
    docker: z
      .strictObject({
        socket: z.string().default('/var/run/docker.sock').describe('Docker engine socket'),
        reach: z
          .enum(['auto', 'host', 'network'])
          .default('auto')
          .describe(
            'How the app reaches containers for health checks: `host` through the published port on 127.0.0.1, `network` by name on the shared network, `auto` picks `network` when the app itself runs in a container',
          ),
        publish_host: z
          .string()
          .default('127.0.0.1')
          .describe('Host address the container port is published on (0.0.0.0 when NPM reaches it by host)'),
        stop_timeout_seconds: z.int().min(0).default(10).describe('Grace period of SIGTERM before SIGKILL'),
        drain_seconds: z
          .number()
          .min(0)
          .default(2)
          .describe('Wait after the switch before the old container is stopped'),
      })
      .prefault({})
      .describe('Docker engine'),
    keep_versions: z.int().min(0).max(20).default(2).describe('Stopped versions kept for instant rollback'),
    health: healthSchema.prefault({}),
    resources: resourcesSchema.prefault({}),
    log: logSchema.prefault({}),
    runtime: runtimeSchema.default('docker'),
    swarm: swarmSchema.prefault({}),
    npm: npmSchema.optional(),
    router: routerSchema.optional(),
    shutdown_timeout_seconds: z
      .number()
      .min(0)
      .default(120)
      .describe('On SIGTERM, how long running deploys may take'),
  })
  .describe('Settings for the whole host');

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors'),
    global: globalSchema.prefault({}),
    registries: z.record(z.string(), registrySchema).default({}).describe('Registries by name'),
    forges: z.record(z.string(), forgeSchema).default({}).describe('GitHub or Gitea servers by name'),
    projects: z.record(z.string(), projectSchema).default({}).describe('Projects by name'),
  })
  .describe('docker-watcher configuration');

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type GlobalConfig = Config['global'];
export type ProjectConfig = Config['projects'][string];
export type StageConfig = ProjectConfig['stages'][string];
export type RegistryConfig = Config['registries'][string];
export type ForgeConfig = Config['forges'][string];
export type PreviewsConfig = NonNullable<ProjectConfig['previews']>;
export type NpmConfig = NonNullable<GlobalConfig['npm']>;
export type RouterConfig = NonNullable<GlobalConfig['router']>;
export type HealthConfig = z.output<typeof healthSchema>;
export type NotificationFormat = z.output<typeof notificationFormatSchema>;
export type NotificationEvent = z.output<typeof notificationEventSchema>;
export type SwarmConfig = z.output<typeof swarmSchema>;
