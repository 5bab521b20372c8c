/**
 * scaling.svg: speedup against worker count, one line per series, with the ideal line (speedup
 * = W) and a mark where the workers outnumber the cores. Hand-written SVG: no chart library.
 */

export interface Series {
  label: string;
  /** [workers, speedup] points. */
  points: [number, number][];
  color: string;
  /** SVG stroke-dasharray of the line (absent: solid). */
  dash?: string;
}

const W = 760;
const H = 420;
const M = { left: 56, right: 270, top: 36, bottom: 48 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function speedupChart(title: string, series: readonly Series[], maxWorkers: number, cores: number): string {
  const maxY = Math.max(maxWorkers, ...series.flatMap((s) => s.points.map(([, y]) => y))) * 1.05;
  const px = (w: number) => M.left + ((w - 1) / Math.max(1, maxWorkers - 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / maxY) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  // Grid and axes.
  const yStep = maxY > 8 ? 2 : maxY > 4 ? 1 : 0.5;
  for (let y = 0; y <= maxY; y += yStep) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${py(y) + 4}" text-anchor="end">${y}</text>`);
  }
  for (let w = 1; w <= maxWorkers; w++) {
    out.push(`<line x1="${px(w)}" x2="${px(w)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="black"/>`);
    out.push(`<text x="${px(w)}" y="${H - M.bottom + 18}" text-anchor="middle">${w}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">workers (worker_threads)</text>`);
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">speedup vs 1 worker</text>`);
  if (cores < maxWorkers) {
    const x = (px(cores) + px(cores + 1)) / 2;
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${x - 4}" y="${M.top + 12}" text-anchor="end" fill="#666">more workers than cores →</text>`);
  }
  // Ideal line, then the series.
  out.push(`<line x1="${px(1)}" y1="${py(1)}" x2="${px(maxWorkers)}" y2="${py(maxWorkers)}" stroke="#888" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  const legend: [string, string, string | undefined][] = [["ideal (speedup = W)", "#888", "6 4"]];
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([w, y], i) => `${i ? "L" : "M"}${px(w).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    for (const [w, y] of s.points) out.push(`<circle cx="${px(w).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.label)}: W=${w}, ${y.toFixed(2)}×</title></circle>`);
    legend.push([s.label, s.color, s.dash]);
  }
  legend.forEach(([label, color, dash], i) => {
    const y = M.top + 10 + i * 20;
    const x = W - M.right + 16;
    out.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`);
    out.push(`<text x="${x + 30}" y="${y + 4}">${esc(label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
