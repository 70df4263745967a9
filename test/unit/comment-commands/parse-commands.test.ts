import { describe, expect, it } from 'vitest';
import { MAX_COMMANDS, parseCommands } from '../../../src/comment-commands/parse-commands.js';

const names = (body: string) => parseCommands(body).commands;

describe('parseCommands', () => {
  it('reads each command at the start of a line, with its arguments', () => {
    expect(names('/deploy dev\n/deploy prod v1.2.3')).toEqual([
      { name: 'deploy', stage: 'dev' },
      { name: 'deploy', stage: 'prod', tag: 'v1.2.3' },
    ]);
    expect(names('LGTM!\r\n/promote prod\r\n/approve')).toEqual([
      { name: 'promote', stage: 'prod' },
      { name: 'approve' },
    ]);
    expect(names('  /rollback rel  ')).toEqual([{ name: 'rollback', stage: 'rel' }]);
    expect(names('/HELP')).toEqual([{ name: 'help' }]);
  });

  it('reads a stage qualified with a project, each part by its own rule', () => {
    expect(names('/promote api/prod\n/deploy api/dev dev-7\n/rollback web-2/dev')).toEqual([
      { name: 'promote', project: 'api', stage: 'prod' },
      { name: 'deploy', project: 'api', stage: 'dev', tag: 'dev-7' },
      { name: 'rollback', project: 'web-2', stage: 'dev' },
    ]);
    expect(names('/promote prod')[0]).not.toHaveProperty('project');
    for (const bad of [
      '/promote Api/prod',
      '/promote api/',
      '/promote /prod',
      '/promote a/b/prod',
      '/deploy -api/dev v1',
    ])
      expect(names(bad)[0]).toMatchObject({
        name: 'invalid',
        usage: expect.stringContaining('[project/]<stage>'),
      });
  });

  it('ignores commands that are not at the start of a line or are other words', () => {
    expect(names('please /deploy dev')).toEqual([]);
    expect(names('/deployment dev\n/deploy-now dev\n//deploy dev\n/unknown x')).toEqual([]);
  });

  it('ignores fenced code blocks with ``` and ~~~, including longer fences and unclosed ones', () => {
    const body = [
      'Try this:',
      '```sh',
      '/deploy prod',
      '```',
      '~~~',
      '/promote prod',
      '~~~',
      '````',
      '```',
      '/rollback prod',
      '````',
      '/approve',
      '```',
      '/deploy dev',
    ].join('\n');
    expect(names(body)).toEqual([{ name: 'approve' }]);
  });

  it('does not let a ~~~ line close a ``` fence', () => {
    expect(names('```\n~~~\n/deploy prod\n```\n/help')).toEqual([{ name: 'help' }]);
  });

  it('ignores indented code, inline code, quotes and HTML comments', () => {
    const body = [
      '    /deploy prod',
      '\t/promote prod',
      '`/deploy prod`',
      'Run `/deploy prod` to ship',
      '> /approve',
      '  > > /rollback prod',
      '<!-- /deploy prod -->',
      '<!--',
      '/promote prod',
      '-->',
      '/help',
    ].join('\n');
    expect(names(body)).toEqual([{ name: 'help' }]);
  });

  it('answers wrong arguments with the usage instead of guessing', () => {
    expect(names('/deploy')).toEqual([
      { name: 'invalid', line: '/deploy', usage: '/deploy [project/]<stage> [tag]' },
    ]);
    expect(names('/deploy prod v1 please')[0]).toMatchObject({ name: 'invalid' });
    expect(names('/deploy prod `v1`')[0]).toMatchObject({ name: 'invalid' });
    expect(names('/promote')[0]).toMatchObject({ name: 'invalid', usage: '/promote [project/]<stage>' });
    expect(names('/approve prod')[0]).toMatchObject({ name: 'invalid', usage: '/approve' });
    expect(names('/rollback ../etc')[0]).toMatchObject({ name: 'invalid' });
  });

  it(`keeps at most ${MAX_COMMANDS} commands and says when it dropped some`, () => {
    const body = Array.from({ length: MAX_COMMANDS + 2 }, (_, i) => `/deploy s${i}`).join('\n');
    const parsed = parseCommands(body);
    expect(parsed.commands).toHaveLength(MAX_COMMANDS);
    expect(parsed.truncated).toBe(true);
    expect(parseCommands('/help').truncated).toBe(false);
  });
});

describe('/preview down', () => {
  it('is one command, and anything else after /preview is answered with its usage', () => {
    expect(parseCommands('/preview down').commands).toEqual([{ name: 'preview-down' }]);
    expect(parseCommands('/preview up').commands).toEqual([
      { name: 'invalid', line: '/preview up', usage: '/preview down' },
    ]);
  });
});
