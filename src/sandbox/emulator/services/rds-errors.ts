import { ApiError } from "../errors.js";

/** RDS's faults, with the Query error codes the SDK maps to its exception classes. */

export const globalNotFound = (id: string) =>
  new ApiError("GlobalClusterNotFoundFault", `Global cluster ${id} not found`, 404, {
    queryCode: "GlobalClusterNotFoundFault",
  });
export const clusterNotFound = (id: string) =>
  new ApiError("DBClusterNotFoundFault", `DBCluster ${id} not found.`, 404);
export const instanceNotFound = (id: string) =>
  new ApiError("DBInstanceNotFound", `DBInstance ${id} not found.`, 404);
export const snapshotNotFound = (id: string) =>
  new ApiError("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${id} not found.`, 404);
export const globalState = (message: string) => new ApiError("InvalidGlobalClusterStateFault", message, 400);
export const clusterState = (message: string) => new ApiError("InvalidDBClusterStateFault", message, 400);
export const instanceState = (message: string) => new ApiError("InvalidDBInstanceState", message, 400);
export const combination = (message: string) => new ApiError("InvalidParameterCombination", message, 400);
export const invalidValue = (message: string) => new ApiError("InvalidParameterValue", message, 400);

/**
 * RDS's identifier rule (clusters, instances, snapshots): letters, digits and hyphens, a
 * letter first, no trailing hyphen nor two in a row; clusters and instances up to 63.
 */
export function requireIdentifier(name: string, value: string, max: number): void {
  if (value.length > max || !/^[A-Za-z](?:-?[A-Za-z0-9])*$/.test(value)) {
    throw invalidValue(
      `The parameter ${name} is not a valid identifier. Identifiers must begin with a letter; ` +
        `must contain only ASCII letters, digits, and hyphens; must not end with a hyphen or contain two consecutive hyphens; and be at most ${max} characters.`,
    );
  }
}
