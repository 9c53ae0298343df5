/**
 * Arithmetic metric math for GetMetricData: query ids, numbers, + - * /, unary minus and
 * parentheses (`100 * errors / requests`), which covers the error-rate expressions abort
 * criteria use. Series combine on the timestamps they share, as CloudWatch does; a
 * division by zero drops that datapoint. Functions (SUM, FILL, …) are not supported and
 * are reported as such instead of being evaluated wrongly.
 */
export type Series = Map<number, number>;
export type MathValue = number | Series;

type Node =
  | { kind: "number"; value: number }
  | { kind: "id"; name: string }
  | { kind: "neg"; operand: Node }
  | { kind: "binary"; op: "+" | "-" | "*" | "/"; left: Node; right: Node };

export class MetricMathError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/()]))/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expression);
    if (!m) throw new MetricMathError(`Unexpected character at ${at} in "${expression}"`);
    tokens.push((m[1] ?? m[2] ?? m[3]) as string);
  }
  return tokens;
}

export function parseExpression(expression: string): Node {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];

  const primary = (): Node => {
    const t = take();
    if (t === undefined) throw new MetricMathError(`Unexpected end of "${expression}"`);
    if (t === "(") {
      const inner = sum();
      if (take() !== ")") throw new MetricMathError(`Missing ) in "${expression}"`);
      return inner;
    }
    if (t === "-") return { kind: "neg", operand: primary() };
    if (/^\d/.test(t)) return { kind: "number", value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === "(")
        throw new MetricMathError(`Function ${t}() is not supported by the sandbox emulator`);
      return { kind: "id", name: t };
    }
    throw new MetricMathError(`Unexpected ${t} in "${expression}"`);
  };
  const product = (): Node => {
    let left = primary();
    while (peek() === "*" || peek() === "/") {
      const op = take() as "*" | "/";
      left = { kind: "binary", op, left, right: primary() };
    }
    return left;
  };
  const sum = (): Node => {
    let left = product();
    while (peek() === "+" || peek() === "-") {
      const op = take() as "+" | "-";
      left = { kind: "binary", op, left, right: product() };
    }
    return left;
  };

  const tree = sum();
  if (i !== tokens.length) throw new MetricMathError(`Unexpected ${tokens[i]} in "${expression}"`);
  return tree;
}

export function referencedIds(node: Node): string[] {
  switch (node.kind) {
    case "number":
      return [];
    case "id":
      return [node.name];
    case "neg":
      return referencedIds(node.operand);
    case "binary":
      return [...referencedIds(node.left), ...referencedIds(node.right)];
  }
}

function apply(op: "+" | "-" | "*" | "/", a: number, b: number): number | undefined {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? undefined : a / b;
  }
}

function combine(op: "+" | "-" | "*" | "/", left: MathValue, right: MathValue): MathValue {
  if (typeof left === "number" && typeof right === "number") {
    const v = apply(op, left, right);
    if (v === undefined) throw new MetricMathError("Division by zero");
    return v;
  }
  const out: Series = new Map();
  const timestamps = typeof left === "number" ? [...(right as Series).keys()] : [...left.keys()];
  for (const t of timestamps) {
    const a = typeof left === "number" ? left : left.get(t);
    const b = typeof right === "number" ? right : right.get(t);
    if (a === undefined || b === undefined) continue;
    const v = apply(op, a, b);
    if (v !== undefined) out.set(t, v);
  }
  return out;
}

export function evaluate(node: Node, lookup: (id: string) => MathValue): MathValue {
  switch (node.kind) {
    case "number":
      return node.value;
    case "id":
      return lookup(node.name);
    case "neg":
      return combine("*", -1, evaluate(node.operand, lookup));
    case "binary":
      return combine(node.op, evaluate(node.left, lookup), evaluate(node.right, lookup));
  }
}
