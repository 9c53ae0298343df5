import type { ParamReader } from "../params.js";
import type { IamResources, RequestContext } from "../service.js";

/** `name` or the last path segment of an ARN (`…:cluster/case`). */
const nameOf = (ref: string) => (ref.startsWith("arn:") ? (ref.split("/").at(-1) ?? "") : ref);

/** The clusters, services and tasks a request names, as IAM sees them (ListTasks is authorised on `*`). */
export function ecsIamResources(account: string): IamResources {
  const arn = (ctx: RequestContext, kind: string, path: string) =>
    `arn:aws:ecs:${ctx.region}:${account}:${kind}/${path}`;
  const clusterOf = (p: ParamReader) => nameOf(p.optionalString("cluster") ?? "default");
  const of = (ctx: RequestContext, kind: string, ref: string, prefix: string) =>
    ref.startsWith("arn:") ? ref : arn(ctx, kind, prefix + ref);
  return {
    DescribeClusters: (p, ctx) => {
      const refs = p.stringList("clusters");
      return (refs.length > 0 ? refs : ["default"]).map((r) => of(ctx, "cluster", r, ""));
    },
    DescribeServices: (p, ctx) =>
      p.stringList("services").map((r) => of(ctx, "service", r, `${clusterOf(p)}/`)),
    UpdateService: (p, ctx) => [of(ctx, "service", p.string("service"), `${clusterOf(p)}/`)],
    DescribeTasks: (p, ctx) => p.stringList("tasks").map((r) => of(ctx, "task", r, `${clusterOf(p)}/`)),
  };
}
