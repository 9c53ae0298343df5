import type { CaseApi } from "../apps/case-api.js";
import { type Emulator, type EmulatorTopology, IamCommandError } from "../emulator/index.js";
import type { PostgresPair } from "../postgres/postgres-pair.js";
import { FaultUsageError, type SandboxFault } from "./fault-catalog.js";

export interface ActiveFault {
  fault: SandboxFault;
  since: string;
  /** db-primary-down: the region whose server was stopped (the writer at the time). */
  region?: string;
}

/** The parts of a running sandbox that faults act on. */
export interface FaultTargets {
  emulator: Emulator;
  pair: PostgresPair;
  caseApi(region: string): CaseApi;
  topology: EmulatorTopology;
}

/**
 * What each fault does to the sandbox, and how it is lifted. `applyFault` returns the region
 * it acted on when lifting needs to know (db-primary-down stops whichever region wrote then).
 */
export async function applyFault(fault: SandboxFault, on: FaultTargets): Promise<string | undefined> {
  const { emulator, pair } = on;
  switch (fault.name) {
    case "region-down":
      emulator.regionDown(fault.region, true);
      await on.caseApi(fault.region).setDown(true);
      if (!pair.isRegionDown(fault.region)) await pair.stopRegion(fault.region);
      return undefined;
    case "db-primary-down": {
      const writer = pair.writer();
      if (pair.isRegionDown(writer))
        throw new FaultUsageError(`the writer's database (${writer}) is already down`);
      await pair.stopRegion(writer);
      return writer;
    }
    case "replication-pause":
      if (!pair.topology().some((m) => m.role === "standby" && !m.down && !m.replayPaused))
        throw new FaultUsageError(
          "there is no streaming standby to pause (after a failover: runbook sandbox reset)",
        );
      await pair.pauseReplay();
      return undefined;
    case "arc-endpoints":
      // Replaces any earlier arc-endpoints fault, so status says exactly what is in force.
      for (let i = 0; i < emulator.arcClusterEndpoints.length; i++)
        await emulator.arcEndpoint(i, i < fault.count ? fault.mode : "up", fault.delayMs);
      return undefined;
    case "missing-secret":
      if (!emulator.removeSecret(fault.region, fault.secret))
        throw new FaultUsageError(`the secret ${fault.secret} is already missing in ${fault.region}`);
      return undefined;
    case "secret-out-of-sync":
      try {
        emulator.dataPlane.setSecretReplication(fault.secret, fault.region, "Failed");
      } catch {
        throw new FaultUsageError(
          `${fault.secret} has no replica in ${fault.region} (it is the primary there, or missing): give the replica's region`,
        );
      }
      return undefined;
    case "alarm": {
      const region = alarmRegion(on.topology, fault.alarm);
      emulator.forceAlarmState(region, fault.alarm, fault.state);
      return undefined;
    }
    case "throttle":
      try {
        emulator.throttle(fault.service, fault.rps);
      } catch (error) {
        throw new FaultUsageError((error as Error).message);
      }
      return undefined;
    case "capacity-shortage":
      emulator.compute.capacityShortage(fault.region, true);
      return undefined;
    case "replication-stall":
      try {
        emulator.s3.stall(evidenceBucket(on.topology, fault.region), true);
      } catch (error) {
        throw new FaultUsageError((error as Error).message);
      }
      return undefined;
    case "deny":
      try {
        await emulator.applyFault({
          kind: "iamDeny",
          action: fault.action,
          on: true,
          ...(fault.principal ? { principal: fault.principal } : {}),
        });
      } catch (error) {
        if (error instanceof IamCommandError) throw new FaultUsageError(error.message);
        throw error;
      }
      return undefined;
  }
}

export async function liftFault(active: ActiveFault, on: FaultTargets): Promise<void> {
  const { emulator, pair } = on;
  const fault = active.fault;
  switch (fault.name) {
    case "region-down":
      // The old primary's server comes back as the failover left it: fenced (read-only) and
      // standalone, holding the writes that never replicated. Reconciliation reads them
      // (runbook reconcile, failback's divergence step); only then does failback rebuild it
      // as a standby (rds.rebuild-secondary), which wipes them. A region that was a standby
      // comes back a standby (with its replay paused still, if it was).
      if (pair.isRegionDown(fault.region)) await pair.startRegion(fault.region);
      await on.caseApi(fault.region).setDown(false);
      emulator.regionDown(fault.region, false);
      return;
    case "db-primary-down":
      if (active.region && pair.isRegionDown(active.region)) await pair.startRegion(active.region);
      return;
    case "replication-pause":
      // After a failover the paused standby was promoted: nothing left to resume.
      if (pair.topology().some((m) => m.role === "standby" && m.replayPaused)) await pair.resumeReplay();
      return;
    case "arc-endpoints":
      // A later arc-endpoints fault replaces an earlier one: lift all five, not just its k.
      for (let i = 0; i < emulator.arcClusterEndpoints.length; i++) await emulator.arcEndpoint(i, "up");
      return;
    case "missing-secret": {
      const secret = on.topology.secrets?.find((s) => s.name === fault.secret && s.region === fault.region);
      // Back as it was: a replica of its primary, InSync.
      if (secret) emulator.putSecret(secret.region, secret.name, secret.value, secret);
      return;
    }
    case "secret-out-of-sync":
      // A replica the missing-secret fault deleted meanwhile has no status left to restore.
      if (emulator.dataPlane.secretReplicationStatus(fault.secret, fault.region))
        emulator.dataPlane.setSecretReplication(fault.secret, fault.region, "InSync");
      return;
    case "alarm":
      emulator.forceAlarmState(alarmRegion(on.topology, fault.alarm), fault.alarm, undefined);
      return;
    case "throttle":
      emulator.throttle(fault.service, undefined);
      return;
    case "capacity-shortage":
      emulator.compute.capacityShortage(fault.region, false);
      return;
    case "replication-stall":
      // Replication flows again; the backlog drains as S3 catches up.
      emulator.s3.stall(evidenceBucket(on.topology, fault.region), false);
      return;
    case "deny":
      await emulator.applyFault({ kind: "iamDeny", action: fault.action, on: false });
      return;
  }
}

/** The region's bucket of the topology (the sandbox has one per region). */
function evidenceBucket(topology: EmulatorTopology, region: string): string {
  const bucket = topology.s3?.buckets.find((b) => b.region === region);
  if (!bucket) throw new FaultUsageError(`no S3 bucket in ${region}`);
  return bucket.name;
}

function alarmRegion(topology: EmulatorTopology, name: string): string {
  const alarm = topology.alarms?.find((a) => a.alarmName === name);
  if (!alarm) throw new FaultUsageError(`unknown alarm ${name}`);
  return alarm.region;
}
