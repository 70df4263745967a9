import { allStageDomains } from './domains.js';
import { appConfigIssues } from './app-config-issues.js';
import type { Config, ProjectConfig } from './schema.js';
import { tagPatternProblem } from './tag-pattern.js';
import type { RawIssue } from './zod-issues.js';

/** The rule for project and stage names: they end up in DNS names, container names and labels. */
export const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why an image reference is not a bare repository, or undefined when it is one. */
export function imageProblem(image: string): string | undefined {
  if (image.includes('@')) {
    return `expected a repository without digest, found "${image}"; remove the "@..." part (the tag or digest comes with each deploy)`;
  }
  // A colon before the last "/" is a registry port (127.0.0.1:5000/app); after it, a tag.
  const lastComponent = image.slice(image.lastIndexOf('/') + 1);
  if (lastComponent.includes(':')) {
    return `expected a repository without tag, found "${image}"; remove ":${lastComponent.split(':')[1]}" (the tag comes with each deploy)`;
  }
  const repository = image.includes('/') ? image.slice(image.indexOf('/') + 1) : image;
  if (/[A-Z]/.test(repository) || /\s/.test(image)) {
    return `expected a lowercase repository name without spaces, found "${image}"`;
  }
  return undefined;
}

function nameIssue(path: string[], kind: string, name: string): RawIssue[] {
  if (NAME.test(name)) return [];
  return [
    {
      path,
      message: `expected a ${kind} name of lowercase letters, digits and "-" (it becomes part of domains and container names), found "${name}"`,
    },
  ];
}

function projectIssues(config: Config, name: string, project: ProjectConfig): RawIssue[] {
  const at = (...rest: string[]) => ['projects', name, ...rest];
  const issues: RawIssue[] = [...nameIssue(at(), 'project', name)];
  const image = imageProblem(project.image);
  if (image) issues.push({ path: at('image'), message: image });

  const registries = Object.keys(config.registries);
  if (project.registry !== undefined && !registries.includes(project.registry)) {
    issues.push({
      path: at('registry'),
      message: `registry "${project.registry}" is not defined under registries (defined: ${registries.join(', ') || 'none'}); add it or fix the name`,
    });
  }
  const forges = Object.keys(config.forges);
  if (project.forge !== undefined && !forges.includes(project.forge)) {
    issues.push({
      path: at('forge'),
      message: `forge "${project.forge}" is not defined under forges (defined: ${forges.join(', ') || 'none'}); add it or fix the name`,
    });
  } else if (project.forge === undefined && project.repository !== undefined && forges.length > 1) {
    issues.push({
      path: at('repository'),
      message: `expected a forge key saying which of ${forges.join(', ')} hosts ${project.repository}, found none`,
    });
  }

  const stages = Object.keys(project.stages);
  if (stages.length === 0)
    issues.push({ path: at('stages'), message: 'expected at least one stage, found none' });
  for (const [stageName, stage] of Object.entries(project.stages)) {
    issues.push(...nameIssue(at('stages', stageName), 'stage', stageName));
    const pattern = tagPatternProblem(stage.tag_pattern);
    if (pattern) issues.push({ path: at('stages', stageName, 'tag_pattern'), message: pattern });
    if (stage.promote_from === stageName) {
      issues.push({
        path: at('stages', stageName, 'promote_from'),
        message: `stage "${stageName}" cannot promote from itself; name another stage of ${name} (${stages.join(', ')})`,
      });
    } else if (stage.promote_from !== undefined && !stages.includes(stage.promote_from)) {
      issues.push({
        path: at('stages', stageName, 'promote_from'),
        message: `promote_from names stage "${stage.promote_from}", which ${name} does not have (stages: ${stages.join(', ')})`,
      });
    }
  }
  const from = project.previews?.from;
  if (from !== undefined && !stages.includes(from)) {
    issues.push({
      path: at('previews', 'from'),
      message: `previews.from names stage "${from}", which ${name} does not have (stages: ${stages.join(', ')})`,
    });
  }
  return issues;
}

function domainIssues(config: Config): RawIssue[] {
  const seen = new Map<string, string>();
  const issues: RawIssue[] = [];
  for (const { project, stage, domain } of allStageDomains(config)) {
    const first = seen.get(domain);
    if (first === undefined) {
      seen.set(domain, `${project}/${stage}`);
      continue;
    }
    const stageConfig = config.projects[project]?.stages[stage];
    const key = stageConfig?.domain ? ['domain'] : stageConfig?.subdomain ? ['subdomain'] : [];
    issues.push({
      path: ['projects', project, 'stages', stage, ...key],
      message: `domain ${domain} is already used by ${first}; give this stage its own subdomain or domain`,
    });
  }
  return issues;
}

/**
 * Checks that need more than one key: references between sections, promote_from, domains that
 * two stages would share, tag patterns and image references. Returns every problem found.
 */
export function validateConfig(config: Config): RawIssue[] {
  const issues = Object.entries(config.projects).flatMap(([name, project]) =>
    projectIssues(config, name, project),
  );
  const npm = config.global.npm;
  if (npm?.forward === 'host' && !npm.forward_host) {
    issues.push({
      path: ['global', 'npm', 'forward'],
      message:
        'forward: host needs forward_host, the address NPM uses to reach this Docker host; add it or use forward: network',
    });
  }
  if (npm?.forward === 'router' && (!npm.forward_host || !config.global.router)) {
    issues.push({
      path: ['global', 'npm', 'forward'],
      message:
        'forward: router needs global.router (the built-in router NPM forwards to) and forward_host, the address NPM uses to reach it; add both or use forward: network or host',
    });
  }
  for (const [name, forge] of Object.entries(config.forges)) issues.push(...appConfigIssues(name, forge));
  return [...issues, ...domainIssues(config)];
}
