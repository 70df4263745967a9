import { PHASES, type DeployRecord } from '../src/core/deploy-types.js';
import { buildTestImage, OPEN_REGISTRY } from '../test/helpers/test-images.js';
import { benchDeployer, benchDocker, benchGlobal, benchInstance, phaseMs, totalMs } from './bench-env.js';
import { LABEL_INSTANCE } from '../src/docker/engine.js';
import { median, ms, table } from './stats.js';

const DEPLOYS = 10;
const STAGES = 10;

/**
 * Issue "Deploy engine" benchmark: the median of each phase over 10 real deploys of a busybox
 * image from the local registry; the orchestration overhead (total minus pull and
 * start-to-healthy); and 10 deploys to 10 stages at once against one alone.
 */
export async function deployBench(): Promise<string> {
  const repository = `${benchInstance}/phases`;
  const tags = Array.from({ length: DEPLOYS + 1 }, (_, i) => `b-${i}`);
  for (const tag of tags)
    await buildTestImage({ repository, tag, behaviour: 'healthy', instanceId: benchInstance });
  const image = `${OPEN_REGISTRY}/${repository}`;
  const stages = Object.fromEntries(
    ['seq', 'alone', ...Array.from({ length: STAGES }, (_, i) => `par${i}`)].map((s) => [
      s,
      { tag_pattern: 'b-*', auto_deploy: true },
    ]),
  );
  const bench = benchDeployer({
    global: benchGlobal(),
    projects: { bench: { image, port: 8080, healthcheck: '/health', stages } },
  });

  // Warm-up: the first deploy also creates the network and the first image layer locally.
  await bench.deploy({ project: 'bench', stage: 'seq', image, tag: tags[0]! });
  const records: DeployRecord[] = [];
  for (const tag of tags.slice(1))
    records.push(await bench.deploy({ project: 'bench', stage: 'seq', image, tag }));

  const phaseRows = PHASES.map((phase) => [phase, ms(median(records.map((r) => phaseMs(r, phase))))]);
  const totals = records.map(totalMs);
  const overheads = records.map(
    (r) => totalMs(r) - phaseMs(r, 'pull') - phaseMs(r, 'start') - phaseMs(r, 'health'),
  );

  const aloneStart = Date.now();
  await bench.deploy({ project: 'bench', stage: 'alone', image, tag: tags[1]! });
  const aloneMs = Date.now() - aloneStart;
  const parallelStart = Date.now();
  await Promise.all(
    Array.from({ length: STAGES }, (_, i) =>
      bench.deploy({ project: 'bench', stage: `par${i}`, image, tag: tags[1]! }),
    ),
  );
  const parallelMs = Date.now() - parallelStart;

  const floorAlone = await engineFloor(`${image}:${tags[1]!}`, 1);
  const floorParallel = await engineFloor(`${image}:${tags[1]!}`, STAGES);

  await bench.deployer.shutdown(30_000);
  bench.store.close();
  return [
    `### Deploy engine: ${DEPLOYS} sequential blue-green deploys (busybox image, local registry, real Docker engine)`,
    '',
    table(['phase', 'median'], [...phaseRows, ['total', ms(median(totals))]]),
    '',
    table(
      ['measure', 'median', 'target'],
      [
        ['orchestration overhead (total - pull - start - health)', ms(median(overheads)), '< 1 s'],
        [`1 deploy alone`, ms(aloneMs), ''],
        [`${STAGES} deploys to ${STAGES} stages at once`, ms(parallelMs), ''],
        ['ratio (parallel / alone)', `${(parallelMs / aloneMs).toFixed(2)}x`, '< 2x'],
        [`engine floor: 1 container create+start+stop, raw dockerode`, ms(floorAlone), ''],
        [`engine floor: ${STAGES} at once`, ms(floorParallel), ''],
        ['engine floor ratio', `${(floorParallel / floorAlone).toFixed(2)}x`, ''],
        ['ours / engine floor, 10 at once', `${(parallelMs / floorParallel).toFixed(2)}x`, ''],
      ],
    ),
  ].join('\n');
}

/**
 * What the Docker engine alone needs for the container work of `n` deploys at once (create,
 * start, stop of one container each, through dockerode): the floor under any deploy tool.
 */
async function engineFloor(imageRef: string, n: number): Promise<number> {
  const started = Date.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const container = await benchDocker.createContainer({
        Image: imageRef,
        name: `${benchInstance}-floor-${n}-${i}`,
        Labels: { [LABEL_INSTANCE]: benchInstance },
        ExposedPorts: { '8080/tcp': {} },
        HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      await container.start();
      await container.stop({ t: 2 });
      await container.remove({ force: true });
    }),
  );
  return Date.now() - started;
}
