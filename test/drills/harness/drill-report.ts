import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One row of the drill table: what was done, what happened, how long until recovered, what was lost. */
export interface DrillRow {
  drill: string;
  happened: string;
  recoveryMs: number | string;
  lost: string;
}

const REPORT_FILE = resolve(import.meta.dirname, '../../../test-results/drills.md');

/** Prints the rows and appends them to test-results/drills.md (the table the report quotes). */
export function reportDrills(title: string, rows: DrillRow[]): void {
  if (rows.length === 0) return;
  const lines = [
    `\n### ${title}${process.env.DRILL_ROUTER ? ` (DRILL_ROUTER=${process.env.DRILL_ROUTER})` : ''}\n`,
    '| drill | what happened | time to recover | lost |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.drill} | ${r.happened} | ${typeof r.recoveryMs === 'number' ? `${r.recoveryMs} ms` : r.recoveryMs} | ${r.lost} |`,
    ),
  ];
  console.log(lines.join('\n'));
  mkdirSync(join(REPORT_FILE, '..'), { recursive: true });
  appendFileSync(REPORT_FILE, lines.join('\n') + '\n');
}
