/** A dependency-free SVG line chart (linear or log y axis), for the self-contained report. */

export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  /** Series drawn as dots only (a scatter plot: x is then any number, not an epoch), by name; the others as lines with dots. */
  dotsOnly?: readonly string[];
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise from the data. */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

/** Colour-blind-safe palette (Okabe & Ito, 2008). */
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** About `count` round tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function format(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(4)));
}

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 300;
  const m = { l: 64, r: 16, t: 32, b: 44 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!o.logY || y > 0));
  const xs = all.map(([x]) => x);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1];
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  const ys = all.map(([, y]) => ty(y));
  let [y0, y1] = o.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (!o.yRange && !o.logY && y0 > 0 && y0 < 0.5 * y1) y0 = 0;
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y1 + 1];
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [0, 1];
  if (o.logY) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((ty(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  // The legend sits under the x axis, in rows of up to three, so it never covers a line.
  const perRow = 3;
  const legendRows = Math.ceil(series.length / perRow);
  const fullH = H + (legendRows > 0 ? 8 + 16 * legendRows : 0);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${fullH}" width="${W}" height="${fullH}" role="img" aria-label="${escapeXml(o.title)}">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${escapeXml(o.title)}</text>`);
  const yTicks = o.logY ? Array.from({ length: y1 - y0 + 1 }, (_, k) => 10 ** (y0 + k)) : niceTicks(y0, y1);
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${format(t)}</text>`);
  }
  const xTicks = o.dotsOnly ? niceTicks(x0, x1) : niceTicks(x0, x1, Math.min(10, Math.max(1, Math.round(x1 - x0)))).filter((t) => Number.isInteger(t)); // epochs: whole numbers
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#333"/><text x="${x}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${o.dotsOnly ? format(t) : t}</text>`);
  }
  out.push(`<rect class="plot" x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!o.logY || y > 0)).map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    const dots = o.dotsOnly?.includes(s.name) ?? false;
    if (pts.length > 1 && !dots) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(",");
      out.push(`<circle cx="${cx}" cy="${cy}" r="${dots ? 2 : 3}" fill="${color}"${dots ? ' fill-opacity="0.6"' : ""}/>`);
    }
    const ly = H + 12 + 16 * Math.floor(i / perRow);
    const lx = m.l + ((W - m.l - m.r) / perRow) * (i % perRow);
    out.push(`<rect class="legend" x="${lx}" y="${ly - 5}" width="10" height="10" fill="${color}"/><text x="${lx + 15}" y="${ly}" font-size="11" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
