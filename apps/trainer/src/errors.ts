/**
 * The CLI's error kinds and how they end the process. Exit codes: 1 for a failed run (a worker
 * fault, a non-finite loss), 2 for bad input (a flag, a config file, a data file) — the
 * convention of `grep`, `diff` and most Unix tools, where 2 means "you asked for something wrong".
 */
import { DataError } from "./data/index.js";

/** A bad flag, config file or run directory: the message names the flag and what it accepts. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A run that failed after it started (a worker fault, a diverged loss); the message says what survives. */
export class RunError extends Error {
  override name = "RunError";
}

/** A run stopped by SIGINT or SIGTERM; the message says where and how to resume. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(readonly signal: NodeJS.Signals, message: string) {
    super(message);
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };

/** Exit code for an error: 2 for usage and data errors, 128 + the signal's number for an interrupted run (the shell's convention: 130 for Ctrl-C), 1 for everything else. */
export function exitCode(e: unknown): number {
  if (e instanceof InterruptedError) return 128 + (SIGNAL_NUMBERS[e.signal] ?? 0);
  return e instanceof UsageError || e instanceof DataError ? EXIT_USAGE : EXIT_FAILURE;
}

/** Errors the user acts on from the message alone: no stack trace hint. */
function expected(e: unknown): boolean {
  return e instanceof UsageError || e instanceof DataError || e instanceof InterruptedError;
}

/**
 * One paragraph for stderr: `weft <command>: <message>` on one logical line, with a hint for
 * the errors a user can act on. The stack trace only with `--verbose`.
 */
export function formatError(command: string, e: unknown, verbose: boolean): string {
  const err = e instanceof Error ? e : new Error(String(e));
  let text = `weft ${command}: ${err.message.replace(/\s*\n\s*/g, " ")}`;
  if (/non-finite (loss|gradient)/.test(err.message)) text += ". The training diverged: try a smaller --lr";
  if (!/[.!?]$/.test(text)) text += ".";
  if (!verbose) return expected(e) ? `${text}\n` : `${text} (--verbose shows the stack trace)\n`;
  const cause = err.cause instanceof Error ? `\ncaused by ${err.cause.stack ?? err.cause.message}` : "";
  return `${text}\n\n${err.stack ?? ""}${cause}\n`;
}
