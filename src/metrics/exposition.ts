/**
 * A minimal in-process metrics registry writing the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): counters, gauges read at
 * scrape time, and histograms with cumulative buckets.
 */

export type Labels = Readonly<Record<string, string>>;

/** One line of a family: `name{labels} value` (histograms add a suffix such as `_bucket`). */
export interface Sample {
  labels?: Labels;
  value: number;
  suffix?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: Sample[];
}

/** Anything that yields one family at scrape time. */
export interface Collector {
  readonly name: string;
  collect(): MetricFamily;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws when `name` is not a valid metric name (a programming error, found at start-up). */
export function assertMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new Error(`metric name "${name}" must match ${METRIC_NAME.source}`);
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Numbers as Prometheus parses them, with +Inf, -Inf and NaN spelled its way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** Renders families (HELP, TYPE, then samples) ending in a line feed, as 0.0.4 requires. */
export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(
        `${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`,
      );
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Series of one labelled metric, keyed by their label values in a fixed order. */
abstract class LabelledMetric<T> implements Collector {
  protected readonly series = new Map<string, { labels: Labels; state: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    assertMetricName(name);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label === 'le')
        throw new Error(`label name "${label}" of ${name} is not allowed`);
    }
  }

  protected entry(labels: Labels, init: () => T): T {
    const values = this.labelNames.map((label) => {
      const value = labels[label];
      if (value === undefined) throw new Error(`metric ${this.name} needs the label "${label}"`);
      return value;
    });
    const key = JSON.stringify(values);
    let found = this.series.get(key);
    if (!found) {
      const ordered = Object.fromEntries(this.labelNames.map((label, i) => [label, values[i]!]));
      found = { labels: ordered, state: init() };
      this.series.set(key, found);
    }
    return found.state;
  }

  abstract collect(): MetricFamily;
}

/** A counter: only goes up (from 0 at start-up). */
export class Counter extends LabelledMetric<{ value: number }> {
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} cannot go down (got ${by})`);
    this.entry(labels, () => ({ value: 0 })).value += by;
  }

  collect(): MetricFamily {
    const samples = [...this.series.values()].map(({ labels, state }) => ({ labels, value: state.value }));
    return { name: this.name, help: this.help, type: 'counter', samples };
  }
}

/** A histogram with fixed upper bounds; buckets are cumulative and end with +Inf. */
export class Histogram extends LabelledMetric<{ counts: number[]; sum: number; count: number }> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const state = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) state.counts[index]! += 1;
    state.sum += value;
    state.count += 1;
  }

  collect(): MetricFamily {
    const samples: Sample[] = [];
    for (const { labels, state } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += state.counts[i]!;
        samples.push({ suffix: '_bucket', labels: { ...labels, le: formatValue(bound) }, value: cumulative });
      });
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: state.count });
      samples.push({ suffix: '_sum', labels, value: state.sum });
      samples.push({ suffix: '_count', labels, value: state.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}

/** A gauge whose samples are read when scraped (from the store, the process, a poller). */
export function gaugeCollector(name: string, help: string, read: () => Sample[]): Collector {
  assertMetricName(name);
  return { name, collect: () => ({ name, help, type: 'gauge', samples: read() }) };
}
