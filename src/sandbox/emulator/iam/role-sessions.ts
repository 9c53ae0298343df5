import { randomBytes } from "node:crypto";
import type { IamRole } from "./iam-entities.js";

/** The temporary credentials AssumeRole issued, by access key id, until long after they expire. */

export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` */
  arn: string;
  /** `AROA…:<session>` */
  assumedRoleId: string;
  expiresAt: Date;
  /** Who assumed it. */
  sourceArn: string;
}

/** Sessions are kept (expired ones too: they must answer ExpiredToken) up to this many. */
const SESSION_LIMIT = 10_000;
const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export class RoleSessions {
  private readonly sessions = new Map<string, RoleSession>();

  get(accessKeyId: string): RoleSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** AWS-shaped credentials: `ASIA…` key id, a 40-character secret, a long session token. */
  issue(role: IamRole, sessionName: string, lifetimeMs: number, sourceArn: string, now: Date): RoleSession {
    const session: RoleSession = {
      accessKeyId: `ASIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(240).toString("base64")}`,
      roleArn: role.arn,
      sessionName,
      arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
      assumedRoleId: `${role.id}:${sessionName}`,
      expiresAt: new Date(now.getTime() + lifetimeMs),
      sourceArn,
    };
    if (this.sessions.size >= SESSION_LIMIT) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  active(now: Date): number {
    return [...this.sessions.values()].filter((s) => s.expiresAt > now).length;
  }
}

function randomId(length: number): string {
  return [...randomBytes(length)].map((b) => ID_CHARS[b % ID_CHARS.length]).join("");
}
