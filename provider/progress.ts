import * as path from "node:path";
import type * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";

/**
 * Progress of a create/update, shown in `pulumi up` next to the resource.
 * The dynamic-provider process gets the engine's address as its first
 * argument; messages go to the engine's Log RPC with the resource's URN.
 * Ephemeral messages are the status text of the running step; the others are
 * kept as diagnostics. Outside that process (unit tests) messages are dropped.
 */
export interface Progress {
  /** Replaces the resource's status line while it runs. */
  status(message: string): void;
  /** A message kept in the update's diagnostics. */
  info(message: string): void;
  warn(message: string): void;
}

let client: engineGrpc.EngineClient | null | undefined;

function engine(): engineGrpc.EngineClient | null {
  if (client !== undefined) return client;
  client = null;
  const addr = process.argv[2];
  const inProvider = /dynamic-provider/.test(process.argv[1] ?? "");
  if (!inProvider || !addr) return client;
  try {
    // @grpc/grpc-js is a dependency of @pulumi/pulumi: resolve it from there.
    const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by path, from where @pulumi/pulumi resolves it, and only in the provider process
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] })) as typeof import("@grpc/grpc-js");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the dynamic-provider process talks to the engine, and a failed load just leaves the progress lines off
    const { EngineClient } = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof engineGrpc;
    client = new EngineClient(addr, grpc.credentials.createInsecure());
  } catch {
    client = null;
  }
  return client;
}

function send(urn: string | undefined, severity: enginePb.LogSeverity, message: string, ephemeral: boolean): void {
  const c = engine();
  if (!c) return;
  const req = new enginePb.LogRequest();
  req.setSeverity(severity);
  req.setMessage(message);
  req.setUrn(urn ?? "");
  req.setEphemeral(ephemeral);
  // Best effort: progress must never fail an update.
  c.log(req, () => undefined);
}

export function progressFor(urn: string | undefined): Progress {
  let last = "";
  return {
    status(message) {
      if (message === last) return;
      last = message;
      send(urn, enginePb.LogSeverity.INFO, message, true);
    },
    info: (m) => send(urn, enginePb.LogSeverity.INFO, m, false),
    warn: (m) => send(urn, enginePb.LogSeverity.WARNING, m, false),
  };
}
