/**
 * SIGINT (Ctrl-C) and SIGTERM during `weft train`: the first one calls `stop` (the trainer
 * closes its worker pool, so the call it awaits rejects and it ends with a message saying
 * where the run stopped and how to resume); a second one exits at once, as most CLIs do.
 * File writes are synchronous, so a handler never runs in the middle of one.
 */
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
const EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export interface SignalWatch {
  /** The first signal received, or null. */
  readonly signal: NodeJS.Signals | null;
  /** Removes the handlers (the default behaviour returns). */
  dispose(): void;
}

export function watchSignals(stop: () => void): SignalWatch {
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) process.exit(EXIT[s] ?? 1);
    signal = s;
    stop();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    get signal() {
      return signal;
    },
    dispose() {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}
