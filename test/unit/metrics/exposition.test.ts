import { describe, expect, it } from 'vitest';
import { Counter, gaugeCollector, Histogram, renderFamilies } from '../../../src/metrics/exposition.js';
import { parseExposition } from './parse-exposition.js';

describe('Prometheus text exposition', () => {
  it('writes HELP and TYPE before samples and escapes label values and help text', () => {
    const counter = new Counter('things_total', 'Things\\seen\nby kind', ['kind']);
    const tricky = 'a "quoted" back\\slash\nnew line';
    counter.inc({ kind: tricky });
    counter.inc({ kind: tricky }, 2);
    counter.inc({ kind: 'plain' });
    const text = renderFamilies([counter.collect()]);
    expect(text.split('\n').slice(0, 2)).toEqual([
      '# HELP things_total Things\\\\seen\\nby kind',
      '# TYPE things_total counter',
    ]);
    expect(text).toContain('things_total{kind="a \\"quoted\\" back\\\\slash\\nnew line"} 3\n');
    const parsed = parseExposition(text);
    expect(parsed.help.get('things_total')).toBe('Things\\seen\nby kind');
    expect(parsed.samples).toEqual([
      { name: 'things_total', labels: { kind: tricky }, value: 3 },
      { name: 'things_total', labels: { kind: 'plain' }, value: 1 },
    ]);
  });

  it('histogram buckets are cumulative, end with +Inf and agree with _count and _sum', () => {
    const histogram = new Histogram('took_seconds', 'Time', ['phase'], [1, 0.1, 10]);
    for (const value of [0.05, 0.1, 0.5, 3, 20]) histogram.observe({ phase: 'pull' }, value);
    const parsed = parseExposition(renderFamilies([histogram.collect()]));
    expect(parsed.type.get('took_seconds')).toBe('histogram');
    const buckets = parsed.samples.filter((s) => s.name === 'took_seconds_bucket');
    expect(buckets.map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 2],
      ['1', 3],
      ['10', 4],
      ['+Inf', 5],
    ]);
    expect(buckets.every((s) => s.labels.phase === 'pull')).toBe(true);
    const one = (name: string) => parsed.samples.find((s) => s.name === name)?.value;
    expect(one('took_seconds_count')).toBe(5);
    expect(one('took_seconds_sum')).toBeCloseTo(23.65);
  });

  it('renders gauges read at scrape time and special values', () => {
    let depth = 1;
    const gauge = gaugeCollector('depth', 'Depth', () => [
      { value: depth },
      { labels: { x: 'inf' }, value: Infinity },
    ]);
    expect(renderFamilies([gauge.collect()])).toBe(
      '# HELP depth Depth\n# TYPE depth gauge\ndepth 1\ndepth{x="inf"} +Inf\n',
    );
    depth = 4;
    expect(parseExposition(renderFamilies([gauge.collect()])).samples[0]?.value).toBe(4);
    expect(renderFamilies([])).toBe('');
  });

  it('refuses misuse: bad names, missing labels, counters going down', () => {
    expect(() => new Counter('bad-name', 'x', [])).toThrow(/metric name "bad-name"/);
    expect(() => new Histogram('h', 'x', ['le'], [1])).toThrow(/label name "le"/);
    const counter = new Counter('c_total', 'x', ['project']);
    expect(() => counter.inc({})).toThrow(/needs the label "project"/);
    expect(() => counter.inc({ project: 'web' }, -1)).toThrow(/cannot go down/);
  });
});
