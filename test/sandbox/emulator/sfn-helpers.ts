import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { waitFor } from "./helpers.js";

/** Creates a machine; returns its ARN. */
export async function createMachine(
  sfn: SFNClient,
  name: string,
  definition: object,
  roleArn: string,
): Promise<string> {
  const out = await sfn.send(
    new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn }),
  );
  return out.stateMachineArn ?? "";
}

export async function start(
  sfn: SFNClient,
  stateMachineArn: string,
  input: object = {},
  name?: string,
): Promise<string> {
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) }),
  );
  return out.executionArn ?? "";
}

export function finished(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs = 10_000,
): Promise<DescribeExecutionCommandOutput> {
  return waitFor(
    `execution ${executionArn} to end`,
    async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === "RUNNING" ? undefined : d;
    },
    timeoutMs,
  );
}

/** The whole history, page by page. */
export async function historyOf(
  sfn: SFNClient,
  executionArn: string,
  maxResults = 1000,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** `Type(name)` for state events, `Type` for the others: a readable history. */
export function outline(events: HistoryEvent[]): string[] {
  return events.map((e) => {
    const name = e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name;
    return name ? `${e.type}(${name})` : String(e.type);
  });
}

/** The details member of an event, whatever its type. */
export function detailsOf(e: HistoryEvent | undefined): Record<string, unknown> {
  if (!e) return {};
  const key = Object.keys(e).find((k) => k.endsWith("EventDetails"));
  return (key ? (e as unknown as Record<string, unknown>)[key] : {}) as Record<string, unknown>;
}
