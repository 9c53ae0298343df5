import type { RawFinding } from "./finding.js";
import type { LintContext } from "./lint-context.js";
import {
  changeKind,
  mainSteps,
  promotions,
  readsLag,
  resourcesOf,
  shiftsTraffic,
  topIndexById,
} from "./runbook-facts.js";

/** The rules about order: traffic, promotion, lag, and what onAbort can still undo. */

/** RB001: a traffic shift before (or beside) the first promotion. */
export function trafficBeforePromotion({ rb }: LintContext): RawFinding[] {
  const first = promotions(rb)[0];
  if (!first) return [];
  return mainSteps(rb)
    .filter((p) => p.top <= first.top && p.step.id !== first.id && shiftsTraffic(p.step))
    .map((p) => ({
      ruleId: "RB001",
      path: p.path,
      message: `"${p.step.id}" (${p.step.type}) shifts traffic ${p.top === first.top ? "at the same time as" : "before"} the database is promoted by "${first.id}"`,
    }));
}

/** RB002: a lossy promotion with no lag read before it, as a step or as an abort probe. */
export function promotionWithoutLagCheck({ rb }: LintContext): RawFinding[] {
  const at = topIndexById(rb);
  const steps = mainSteps(rb);
  return promotions(rb)
    .filter((promo) => !promo.lossless)
    .filter((promo) => {
      const before = steps.some((p) => p.top < promo.top && readsLag(p.step));
      const watched = rb.abort.some(
        (a) =>
          readsLag(a.probe) &&
          (a.during === undefined || a.during.some((id) => (at.get(id) ?? Infinity) <= promo.top)),
      );
      return !before && !watched;
    })
    .map((promo) => ({
      ruleId: "RB002",
      path: promo.path,
      message: `"${promo.id}" promotes the database with no replication-lag check before it: the writes it has not received are lost, however many`,
    }));
}

/** RB003: a failover or failback that moves traffic and no database. */
export function trafficWithoutPromotion({ rb, profile }: LintContext): RawFinding[] {
  if (profile.kind === "other" || promotions(rb).length > 0) return [];
  const shift = mainSteps(rb).find((p) => shiftsTraffic(p.step));
  if (!shift) return [];
  return [
    {
      ruleId: "RB003",
      path: shift.path,
      message: `"${shift.step.id}" shifts traffic, and no step of this ${profile.kind} runbook promotes a database`,
    },
  ];
}

/**
 * RB006: an onAbort step without `always` whose counterparts (main steps making the same
 * kind of change to the same thing) all run at or after the first point of no return.
 */
export function undoSkippedPastPointOfNoReturn({ rb }: LintContext): RawFinding[] {
  const steps = mainSteps(rb);
  const ponr = steps.find((p) => p.step.pointOfNoReturn);
  if (!ponr) return [];
  const out: RawFinding[] = [];
  rb.onAbort.forEach((undo, i) => {
    const kind = changeKind(undo);
    if (undo.always || !kind) return;
    const touched = new Set(resourcesOf(undo));
    const counterparts = steps.filter((p) => {
      if (changeKind(p.step) !== kind) return false;
      const theirs = resourcesOf(p.step);
      // What lint cannot name (a list from vars) may be the same thing.
      return touched.size === 0 || theirs.length === 0 || theirs.some((r) => touched.has(r));
    });
    if (counterparts.length === 0 || counterparts.some((p) => p.top < ponr.top)) return;
    const names = counterparts.map((p) => `"${p.step.id}"`).join(", ");
    out.push({
      ruleId: "RB006",
      path: ["onAbort", i],
      message: `onAbort step "${undo.id}" reverses ${kind} changed only by ${names}, at or after the point of no return "${ponr.step.id}": without always: true the engine skips it whenever there is something to undo`,
    });
  });
  return out;
}
