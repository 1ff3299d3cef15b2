// The SVG chart, drawn by hand (no chart dependency): p50 latency and rows read per request against tenant
// size for the key operations, both axes logarithmic. Solid lines are the server, dashed lines the floor
// of the same operation, so "within a small constant of the floor" reads as two lines staying together.
import { OPS, type OpInfo } from "./ops.ts";
import type { BenchReport, OpRow } from "./report.ts";

const CHARTED: readonly OpInfo[] = [OPS.lookupHit, OPS.get, OPS.count, OPS.firstPage, OPS.lastPage, OPS.firstPageBare, OPS.oktaAdd];
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#17becf", "#8c564b"];

const PANEL_W = 440;
const PANEL_H = 300;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 44 };
const LEGEND_H = 22 * Math.ceil(CHARTED.length / 2) + 28;

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: [number, number][];
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function sizeLabel(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(1)}M`;
  if (n >= 1_000) return `${+(n / 1_000).toFixed(1)}k`;
  return String(n);
}

function valueLabel(v: number): string {
  if (v >= 1_000_000) return `${v / 1_000_000}M`;
  if (v >= 1_000) return `${v / 1_000}k`;
  return String(v);
}

function panel(x0: number, title: string, unit: string, sizes: number[], series: Series[]): string {
  const values = series.flatMap((s) => s.points.map(([, y]) => y)).filter((v) => v > 0 && Number.isFinite(v));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const xMin = Math.log10(Math.min(...sizes));
  const xMax = Math.log10(Math.max(...sizes));
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const px = (size: number) => x0 + MARGIN.left + (xMax === xMin ? w / 2 : ((Math.log10(size) - xMin) / (xMax - xMin)) * w);
  // Zero (a lookup that read nothing) is drawn on the bottom axis: a log scale has no zero.
  const py = (v: number) => MARGIN.top + h - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * h;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + MARGIN.left + w / 2}" y="20" text-anchor="middle" font-weight="bold">${escape(title)}</text>`);
  parts.push(`<rect x="${x0 + MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (let e = Math.log10(yMin); e <= Math.log10(yMax); e++) {
    const y = py(10 ** e);
    parts.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + w}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${valueLabel(10 ** e)}</text>`);
  }
  for (const size of sizes) {
    const x = px(size);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + h}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + h + 16}" text-anchor="middle">${sizeLabel(size)}</text>`);
  }
  parts.push(`<text x="${x0 + MARGIN.left + w / 2}" y="${PANEL_H - 6}" text-anchor="middle">users in the tenant (log)</text>`);
  parts.push(`<text transform="translate(${x0 + 14},${MARGIN.top + h / 2}) rotate(-90)" text-anchor="middle">${escape(unit)} (log)</text>`);
  for (const s of series) {
    const points = s.points.filter(([, y]) => Number.isFinite(y));
    if (points.length === 0) continue;
    const d = points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    const dash = s.dashed ? ` stroke-dasharray="5,4"` : "";
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of points) {
      parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="${s.dashed ? 2 : 3.5}" fill="${s.color}"/>`);
    }
  }
  return parts.join("\n");
}

function seriesFor(report: BenchReport, pick: (row: OpRow) => [number, number | null]): Series[] {
  const out: Series[] = [];
  CHARTED.forEach((info, index) => {
    const color = COLORS[index % COLORS.length] ?? "#000";
    const server: [number, number][] = [];
    const floor: [number, number][] = [];
    for (const size of report.sizes) {
      const row = size.ops.find((r) => r.op === info.name);
      if (!row) continue;
      const [value, floorValue] = pick(row);
      server.push([size.totalUsers, value]);
      if (floorValue !== null) floor.push([size.totalUsers, floorValue]);
    }
    out.push({ label: info.name, color, dashed: false, points: server });
    out.push({ label: `${info.name} (floor)`, color, dashed: true, points: floor });
  });
  return out;
}

export function renderChart(report: BenchReport): string {
  const sizes = report.sizes.map((s) => s.totalUsers);
  const latency = seriesFor(report, (row) => [row.server.p50, row.floorSummary?.p50 ?? null]);
  const reads = seriesFor(report, (row) => [row.server.rowsRead, row.floorSummary?.rowsRead ?? null]);
  const width = PANEL_W * 2;
  const height = PANEL_H + LEGEND_H;
  const legend = CHARTED.map((info, i) => {
    const x = 20 + (i % 2) * (width / 2);
    const y = PANEL_H + 20 + Math.floor(i / 2) * 22;
    const color = COLORS[i % COLORS.length] ?? "#000";
    return `<line x1="${x}" x2="${x + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"/><text x="${x + 30}" y="${y}">${escape(info.name)}</text>`;
  });
  const note = `<text x="20" y="${height - 8}" fill="#555">solid: the server; dashed: the floor (one bare D1 statement in the same worker). ${escape(report.machine.cpuModel)}, ${report.machine.cpus} CPUs.</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    panel(0, "p50 latency per request", "ms", sizes, latency),
    panel(PANEL_W, "D1 rows read per request", "rows", sizes, reads),
    ...legend,
    note,
    "</svg>",
    "",
  ].join("\n");
}
