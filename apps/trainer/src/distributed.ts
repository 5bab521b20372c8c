/**
 * `weft train --distributed mpi`: this process is one rank of an `mpirun -np H` job (one per
 * host), running `--workers W` worker_threads; @weft/mpi's MpiCommunicator joins the H·W ranks
 * (shared memory inside a process, MPI across), and each batch is split over all of them.
 *
 * Rank 0 is the run: it alone writes the run directory (config, metrics, checkpoints, model,
 * report) and prints progress, evaluation and the final test line. Every other rank trains the
 * same steps silently into a private scratch directory it deletes at the end; with `--resume` it
 * resumes from a private copy of the run directory, which must therefore be readable on every
 * host (a shared filesystem, or the same path copied there). Every rank's parameters and
 * optimiser state are the same bits, so rank 0's checkpoint is the job's.
 *
 * Failure: a rank that fails prints its error naming the rank and ends the whole job with
 * MPI_Abort (exit code: the error's, as without --distributed); a clean end finalises MPI.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunFlags, TrainOptions } from "./config.js";
import { UsageError, exitCode, formatError } from "./errors.js";
import type { Streams } from "./progress.js";
import { readRunConfig } from "./saved-config.js";

type Train = (options: TrainOptions, run: RunFlags, io: Streams) => Promise<unknown>;

const silent: Streams = { out: { write: () => true }, err: { write: () => true } };

export async function trainDistributed(options: TrainOptions, run: RunFlags, io: Streams, train: Train): Promise<void> {
  const mpi = await import("@weft/mpi");
  if (!mpi.mpiAvailable()) {
    try {
      mpi.loadMpi();
    } catch (e) {
      throw new UsageError(`--distributed mpi: ${(e as Error).message}`);
    }
  }
  // Every rank the same number of MPI channels: the run's workers (a resumed run's are saved).
  const workers = run.resume ? readRunConfig(resolve(run.resume), "--resume").options.workers : options.workers;
  let info: ReturnType<typeof mpi.initMpi>;
  try {
    info = mpi.initMpi(workers);
  } catch (e) {
    const text = `--distributed mpi: ${(e as Error).message.replace(/^@weft\/mpi init: /, "")}${/different numbers/.test((e as Error).message) ? ": give every process the same --workers (its default is each host's cores)" : ""}`;
    // Every rank got the same error; MPI is up, so end the job as one.
    if (mpi.loadMpi().info().initialized) mpi.abortMpi(2, formatError("train", new UsageError(text), false).trimEnd());
    throw new UsageError(text);
  }
  const { rank, size, library } = info;
  let scratch: string | null = null;
  let own = "";
  try {
    let mine: RunFlags = { ...run, communicator: mpi.mpiCommunicator() };
    if (rank !== 0) {
      scratch = mkdtempSync(join(tmpdir(), `weft-rank${rank}-`));
      own = join(scratch, "run");
      if (run.resume) cpSync(resolve(run.resume), own, { recursive: true });
      mine = { ...mine, out: own, resume: run.resume ? own : null };
    } else if (!run.json) {
      io.err.write(`weft train --distributed mpi: ${size} processes × ${workers} workers = ${size * workers} ranks (${library.split(",")[0]})\n`);
    }
    await train(options, mine, rank === 0 ? io : silent);
  } catch (e) {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    // A rank ≠ 0's message names the run directory, not its private copy.
    let text = formatError("train", e, run.verbose).trimEnd();
    if (own) text = text.split(own).join(run.resume ?? run.out ?? "rank 0's run directory");
    mpi.abortMpi(exitCode(e), `MPI rank ${rank} of ${size}: ${text}`);
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  mpi.finalizeMpi();
}
