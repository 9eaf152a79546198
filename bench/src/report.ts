import { round } from "./stats";

/**
 * What a row must reach. `of` says what is compared: the row's ratio to its
 * peer, or its figure. `text` is how the report prints it (e.g. ">= 1.0x BullMQ").
 */
export interface BenchTarget {
  op: ">=" | "<=";
  value: number;
  of: "ratio" | "figure";
  text: string;
}

export interface BenchRow {
  scenario: string;
  figure: number;
  unit: string;
  /** The ratio to a peer measured in the same run, with the peer's name. */
  ratio?: { to: string; value: number };
  target?: BenchTarget;
  /** Whether the target holds, computed from this run's figures (present exactly when `target` is). */
  met?: boolean;
}

export interface BenchReport {
  machine: { cpus: number; memoryGb: number; node: string };
  smoke: boolean;
  /** The scenario groups that ran (all of them unless `--only=` chose some). */
  groups: string[];
  rows: BenchRow[];
  notes: string[];
}

/** A target on the row's figure, e.g. `atMost(25)` for "p99 <= 25 ms". */
export function atMost(value: number, text = `<= ${value}`): BenchTarget {
  return { op: "<=", value, of: "figure", text };
}

export function atLeast(value: number, text = `>= ${value}`): BenchTarget {
  return { op: ">=", value, of: "figure", text };
}

/** A target on the row's ratio to its peer, e.g. `ratioAtLeast(1, "BullMQ")` for ">= 1.0x BullMQ". */
export function ratioAtLeast(value: number, peer: string): BenchTarget {
  return { op: ">=", value, of: "ratio", text: `>= ${value.toFixed(1)}x ${peer}` };
}

/**
 * Round the figures for the report and decide `met` from the unrounded
 * ones. A row whose compared value is missing or not finite (a peer that was
 * skipped, a scenario that saw no samples) does not meet its target.
 */
export function finishRow(row: BenchRow): BenchRow {
  // Small figures (statements per run, ratios of them) keep more digits than large ones.
  const digits = Math.abs(row.figure) >= 10 ? 1 : Math.abs(row.figure) >= 1 ? 2 : 3;
  const finished: BenchRow = { ...row, figure: round(row.figure, digits) };
  if (row.ratio) finished.ratio = { ...row.ratio, value: round(row.ratio.value, 2) };
  if (row.target) {
    const compared = row.target.of === "ratio" ? row.ratio?.value : row.figure;
    finished.met = compared !== undefined && Number.isFinite(compared) && (row.target.op === ">=" ? compared >= row.target.value : compared <= row.target.value);
  }
  return finished;
}

export function toMarkdown(report: BenchReport): string {
  const lines = [
    "| scenario | figure | ratio to peer (same run) | target | met |",
    "|---|---:|---|---|---|",
    ...report.rows.map((row) => {
      const ratio = row.ratio ? `${row.ratio.value}x ${row.ratio.to}` : "";
      const met = row.met === undefined ? "" : row.met ? "yes" : "**no**";
      return `| ${row.scenario} | ${row.figure} ${row.unit} | ${ratio} | ${row.target?.text ?? ""} | ${met} |`;
    }),
  ];
  for (const note of report.notes) lines.push("", `Note: ${note}`);
  return lines.join("\n");
}
