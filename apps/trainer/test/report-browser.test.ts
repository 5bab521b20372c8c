// report.html in a real browser: headless Chromium (Debian's `chromium`; scripts/ensure-chromium.sh
// installs it, and .ci/run calls that script) loads a real run's report with a checking script
// added, and the page must render without an error: every inline image decoded at 28×28, every
// chart drawn, every legend below its plot. A screenshot must come out too (kept where
// WEFT_REPORT_SCREENSHOT says, to look at). Without a Chromium this test FAILS, naming the script
// to run: it is the report's only check in a browser, so it is not skipped.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuild, weftHere } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-browser-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The browser: $WEFT_CHROMIUM, else chromium / chromium-browser / google-chrome on PATH. */
function findChromium(): string | null {
  for (const name of [process.env.WEFT_CHROMIUM, "chromium", "chromium-browser", "google-chrome"]) {
    if (!name) continue;
    const found = spawnSync("sh", ["-c", `command -v "$0"`, name], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

/** Runs headless Chromium on a file; returns its stdout. */
function chromium(browser: string, args: string[], file: string): string {
  const r = spawnSync(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", `--user-data-dir=${join(root, "profile")}`, ...args, pathToFileURL(file).href], {
    encoding: "utf8",
    timeout: 45_000,
  });
  if (r.status !== 0) throw new Error(`${browser} exited ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Added to a copy of the report: records errors, then on load what rendered, into body[data-check]. */
const CHECKER = `<script>
const errors = [];
window.addEventListener("error", (e) => errors.push(String(e.message || (e.target && e.target.outerHTML && e.target.outerHTML.slice(0, 80)))), true);
window.addEventListener("load", () => {
  const images = [...document.images].map((i) => [i.complete, i.naturalWidth, i.naturalHeight]);
  const charts = [...document.querySelectorAll("svg")].map((svg) => {
    const plot = svg.querySelector("rect.plot").getBoundingClientRect();
    const lines = [...svg.querySelectorAll("polyline")].map((l) => l.getBBox().width);
    const legendTops = [...svg.querySelectorAll("rect.legend")].map((r) => r.getBoundingClientRect().top);
    return { width: svg.getBoundingClientRect().width, plotBottom: plot.bottom, lines, legendTops };
  });
  document.body.dataset.check = JSON.stringify({ errors, images, charts, matrix: document.querySelectorAll("table.confusion.matrix tr").length });
});
</script>`;

let browser: string | null;
let report: string;

beforeAll(async () => {
  requireBuild();
  browser = findChromium();
  const out = join(root, "run");
  const r = await weftHere(["train", "--splits", "400,100,100", "--hidden", "16", "--workers", "1", "--batch-size", "100", "--epochs", "3", "--out", out, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  report = join(out, "report.html");
});

describe("report.html in headless Chromium", () => {
  it("renders without errors: images decoded, charts drawn, legends clear of the plots", () => {
    if (!browser) throw new Error("no headless Chromium found: run scripts/ensure-chromium.sh (it installs Debian's chromium), or set WEFT_CHROMIUM to a Chrome or Chromium binary");
    const page = join(root, "checked.html");
    writeFileSync(page, readFileSync(report, "utf8").replace("</body>", `${CHECKER}\n</body>`));
    const dom = chromium(browser, ["--virtual-time-budget=5000", "--dump-dom"], page);
    const attr = dom.match(/data-check="([^"]*)"/);
    expect(attr, "the checking script did not run").not.toBeNull();
    const check = JSON.parse(attr![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, "&"));
    expect(check.errors).toEqual([]);
    expect(check.images.length).toBeGreaterThan(0);
    for (const img of check.images) expect(img).toEqual([true, 28, 28]);
    expect(check.charts).toHaveLength(4);
    for (const c of check.charts) {
      expect(c.width).toBeGreaterThan(100);
      expect(c.lines.length).toBeGreaterThan(0);
      for (const w of c.lines) expect(w).toBeGreaterThan(0);
      for (const top of c.legendTops) expect(top).toBeGreaterThan(c.plotBottom);
    }
    expect(check.matrix).toBe(11); // header + 10 digit classes
  });

  it("takes a screenshot of the whole report", () => {
    if (!browser) throw new Error("no headless Chromium found: run scripts/ensure-chromium.sh, or set WEFT_CHROMIUM");
    const shot = join(root, "report.png");
    chromium(browser, ["--window-size=1000,2600", "--hide-scrollbars", `--screenshot=${shot}`], report);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1000, 2600]);
    expect(statSync(shot).size).toBeGreaterThan(30_000); // charts, tables and digits, not a blank page
    if (process.env.WEFT_REPORT_SCREENSHOT) copyFileSync(shot, process.env.WEFT_REPORT_SCREENSHOT);
  });
});
