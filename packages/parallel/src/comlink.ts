/**
 * comlink for Node worker_threads. comlink ships UMD builds, loaded through require so Node's
 * ESM loader does not have to guess their named exports.
 */
import { createRequire } from "node:module";
import type * as ComlinkTypes from "comlink";
import type { NodeEndpoint } from "comlink/dist/umd/node-adapter.js";

const require = createRequire(import.meta.url);
export const Comlink: typeof ComlinkTypes = require("comlink");
export const nodeEndpoint: (nep: NodeEndpoint) => ComlinkTypes.Endpoint = require("comlink/dist/umd/node-adapter.js");
