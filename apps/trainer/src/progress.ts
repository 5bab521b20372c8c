/**
 * What a run prints. Text: a live bar per epoch on a terminal (redrawn in place on stderr:
 * steps, samples/s, running loss, ETA), one line per finished epoch on stdout, the test
 * accuracy at the end. `--json`: one JSON object per line on stdout, nothing else.
 */

export interface EpochLine {
  epoch: number;
  epochs: number;
  trainLoss: number;
  valLoss: number;
  /** Classification: accuracy on the validation split. */
  valAccuracy?: number;
  /** Regression: on the validation split, in the targets' units (r2: averaged over the targets). */
  rmse?: number;
  mae?: number;
  r2?: number;
  samplesPerSec: number;
  seconds: number;
  lr: number;
}

export interface Streams {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export interface Reporter {
  info(message: string, fields: Record<string, unknown>): void;
  epochStart(epoch: number, epochs: number, steps: number, samples: number): void;
  /** Steps done in this epoch and the mean loss of those whose loss is known. */
  progress(stepsDone: number, runningLoss: number): void;
  epochEnd(line: EpochLine): void;
  result(event: string, message: string, fields: Record<string, unknown>): void;
  /** Clears a live bar (before an error message). */
  end(): void;
}

export function createReporter(json: boolean, streams: Streams = { out: process.stdout, err: process.stderr }): Reporter {
  return json ? new JsonReporter(streams) : new TextReporter(streams);
}

class JsonReporter implements Reporter {
  constructor(private readonly s: Streams) {}
  private emit(event: string, fields: Record<string, unknown>): void {
    this.s.out.write(`${JSON.stringify({ event, ...fields })}\n`);
  }
  info(_message: string, fields: Record<string, unknown>): void {
    this.emit("start", fields);
  }
  epochStart(): void {}
  progress(): void {}
  epochEnd(line: EpochLine): void {
    this.emit("epoch", { ...line });
  }
  result(event: string, _message: string, fields: Record<string, unknown>): void {
    this.emit(event, fields);
  }
  end(): void {}
}

class TextReporter implements Reporter {
  private readonly live: boolean;
  private epoch = 0;
  private epochs = 0;
  private steps = 0;
  private samples = 0;
  private t0 = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly s: Streams) {
    this.live = s.err.isTTY === true && process.env.TERM !== "dumb";
  }

  info(message: string): void {
    this.s.out.write(`${message}\n`);
  }

  epochStart(epoch: number, epochs: number, steps: number, samples: number): void {
    Object.assign(this, { epoch, epochs, steps, samples, t0: performance.now(), lastDraw: 0 });
    if (this.live) this.draw(0, Number.NaN, true);
  }

  progress(done: number, loss: number): void {
    if (this.live) this.draw(done, loss, false);
  }

  private draw(done: number, loss: number, force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 100 && done < this.steps) return;
    this.lastDraw = now;
    const secs = (now - this.t0) / 1000;
    const frac = this.steps > 0 ? done / this.steps : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const rate = secs > 0 ? (frac * this.samples) / secs : 0;
    const eta = frac > 0 ? (secs / frac) * (1 - frac) : Number.NaN;
    const parts = [
      `epoch ${pad(this.epoch, this.epochs)}/${this.epochs}`,
      `${"█".repeat(fill)}${"░".repeat(width - fill)}`,
      `${done}/${this.steps}`,
      done > 0 ? `${Math.round(rate).toLocaleString("en-US")} samples/s` : "",
      Number.isFinite(loss) ? `loss ${loss.toFixed(4)}` : "",
      Number.isFinite(eta) ? `ETA ${eta.toFixed(1)}s` : "",
    ];
    const line = parts.filter(Boolean).join("  ").slice(0, (this.s.err.columns || 120) - 1);
    this.s.err.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  end(): void {
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.s.err.write("\r\x1b[2K");
    this.drawn = false;
  }

  epochEnd(l: EpochLine): void {
    this.clear();
    this.s.out.write(
      `epoch ${pad(l.epoch, l.epochs)}/${l.epochs}  train loss ${l.trainLoss.toFixed(4)}  val loss ${l.valLoss.toFixed(4)}  ` +
        (l.valAccuracy !== undefined ? `val acc ${(100 * l.valAccuracy).toFixed(2)}%  ` : `val rmse ${l.rmse!.toPrecision(4)}  mae ${l.mae!.toPrecision(4)}  r² ${l.r2!.toFixed(4)}  `) +
        `${Math.round(l.samplesPerSec).toLocaleString("en-US")} samples/s  ${l.seconds.toFixed(1)} s\n`,
    );
  }

  result(_event: string, message: string): void {
    this.clear();
    this.s.out.write(`${message}\n`);
  }
}

function pad(n: number, of: number): string {
  return String(n).padStart(String(of).length, " ");
}
