#!/usr/bin/env node
/** The `weft` executable: {@link main} on the process's arguments and streams. */
import { main } from "./main.js";
import { enableRelaxedSimd } from "@weft/tensor";

// Before any kernel is compiled: relaxed SIMD's FMA in gemm on Node 20 too (see @weft/tensor's enableRelaxedSimd).
enableRelaxedSimd();

// A closed pipe (`weft train | head`) ends the command quietly, as it would end a Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
}
process.exitCode = await main(process.argv.slice(2));
