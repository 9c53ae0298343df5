import { z } from "zod";
import { defineExecutor, fatal } from "../src/executor.js";
import { allow, listOf } from "../src/iam/arn.js";
import { parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";
import {
  ClusterEndpoints,
  clusterRegions,
  readStates,
  routingControlArns,
} from "./arc-set-routing-controls.js";

/** Read routing controls; with `expect`, a mismatch fails (pre-checks and abort criteria). */
export const arcGetRoutingControl = defineExecutor({
  type: "arc.get-routing-control",
  summary: "Read ARC routing control states; optionally require an expected state",
  params: z.strictObject({
    clusterEndpoints: ClusterEndpoints,
    arns: z.array(z.string().min(1)).min(1),
    expect: z.enum(["On", "Off"]).optional(),
    endpointTimeout: Duration.optional(),
  }),
  aws: true,
  permissions: (p, scope) => ({
    run: [
      allow(
        "route53-recovery-cluster:GetRoutingControlState",
        routingControlArns(listOf(p.arns), scope),
        clusterRegions(p.clusterEndpoints),
      ),
    ],
  }),
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `ARC GetRoutingControlState ${p.arns.map((a) => a.split("/").at(-1)).join(", ")}${p.expect ? ` expecting ${p.expect}` : ""}`,
  async run(p, ctx) {
    const states = await readStates(
      p.clusterEndpoints,
      p.arns.map((arn) => ({ arn })),
      parseDuration(p.endpointTimeout ?? "1s") ?? 1000,
      ctx,
    );
    if (p.expect) {
      const wrong = p.arns.filter((a) => states[a] !== p.expect);
      if (wrong.length)
        throw fatal(
          `routing control ${wrong.map((a) => `${a.split("/").at(-1)} is ${states[a]}`).join(", ")}, expected ${p.expect}`,
        );
    }
    return { states };
  },
});
