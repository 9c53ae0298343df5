import type { GlobalClusterBackend } from "../backend.js";
import { clusterNotFound, globalNotFound, invalidValue } from "./rds-errors.js";
import { type DbClusterModel, type GlobalClusterModel, memberViews } from "./rds-model.js";

/** Finding what an RDS request names, as RDS answers when it is not there. */

export function sandboxDatabase(model: GlobalClusterModel | undefined): GlobalClusterModel {
  if (!model) throw invalidValue("The sandbox has no database");
  return model;
}

/** The global cluster by identifier or ARN (read-replica mode has none). */
export function globalCluster(model: GlobalClusterModel | undefined, id: string): GlobalClusterModel {
  if (model?.mode !== "global" || (id !== model.identifier && id !== model.arn)) throw globalNotFound(id);
  return model;
}

/** A DB cluster of `region` by identifier or ARN: another region's is not visible, as in AWS. */
export function clusterIn(model: GlobalClusterModel | undefined, id: string, region: string): DbClusterModel {
  const cluster = model?.clusters.find((c) => c.region === region && (c.identifier === id || c.arn === id));
  if (!cluster) throw clusterNotFound(id);
  return cluster;
}

/** All views (for rendering) and the one of `cluster`. */
export function viewsWith(model: GlobalClusterModel, backend: GlobalClusterBackend, cluster: DbClusterModel) {
  const views = memberViews(model, backend);
  return { views, view: views.find((v) => v.cluster === cluster) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
