/** The one stylesheet of the HTML reports, inlined: the file must open offline, years later. */
export const REPORT_CSS = `
:root { --ink:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#ffffff; --panel:#f6f8fa;
  --ok:#1a7f37; --ok-bg:#dafbe1; --bad:#cf222e; --bad-bg:#ffebe9; --warn:#9a6700; --warn-bg:#fff8c5;
  --run:#0969da; --run-bg:#ddf4ff; --gate:#8250df; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12.5px;
  letter-spacing: .02em; vertical-align: middle; margin-left: 6px; }
.badge.completed, .badge.pass { background: var(--ok-bg); color: var(--ok); }
.badge.failed, .badge.aborted, .badge.fail { background: var(--bad-bg); color: var(--bad); }
.badge.in-progress, .badge.paused { background: var(--run-bg); color: var(--run); }
.badge.unknown, .badge.neutral { background: var(--panel); color: var(--muted); border: 1px solid var(--line); }
.badge.drill { background: #fbefff; color: var(--gate); }
.alert { border: 2px solid var(--bad); background: var(--bad-bg); color: #82071e; padding: 12px 16px;
  border-radius: 6px; margin: 0 0 18px; }
.alert strong { font-size: 15px; }
.note { border: 1px solid #d4a72c; background: var(--warn-bg); padding: 8px 14px; border-radius: 6px; margin: 0 0 14px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 8px 0 6px; }
.cards.five { grid-template-columns: repeat(5, 1fr); }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--panel); }
.card.pass { border-left: 5px solid var(--ok); } .card.fail { border-left: 5px solid var(--bad); }
.card.unknown { border-left: 5px solid var(--line); }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.card .v { font-size: 26px; font-weight: 650; margin: 2px 0; }
.card .t { color: var(--muted); font-size: 12.5px; }
dl.meta { display: grid; grid-template-columns: 170px 1fr 170px 1fr; gap: 4px 12px; margin: 14px 0 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; } td.time { white-space: nowrap; }
tr.sev-error td { background: #fff5f5; } tr.sev-error td.text { color: var(--bad); font-weight: 600; }
tr.sev-warn td.text { color: var(--warn); }
tr.storm summary { cursor: pointer; font-style: italic; } tr.storm ol { margin: 6px 0 0; padding-left: 22px; color: var(--muted); } tr.sev-ok td.text { color: var(--ok); }
.st { font-weight: 600; } .st.succeeded { color: var(--ok); } .st.failed, .st.declined, .st.in-doubt { color: var(--bad); }
.st.running, .st.awaiting-approval { color: var(--run); } .st.skipped, .st.not-run { color: var(--muted); }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 8px 4px; overflow-x: auto; background: #fff; }
.legend { color: var(--muted); font-size: 12.5px; margin: 6px 4px 0; }
.legend span { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin: 0 4px -1px 12px; }
svg text { font-family: -apple-system, "Segoe UI", Arial, sans-serif; font-size: 12px; fill: var(--ink); }
svg .grid { stroke: #eaeef2; } svg .tick { fill: var(--muted); font-size: 11px; } svg .tick.clock { font-size: 10px; }
svg .axis-note { fill: var(--muted); font-size: 10.5px; }
svg .group { fill: #f3f0ff; } svg .group-label { fill: var(--gate); font-size: 11px; }
svg .bar { fill: #8c959f; } svg .bar.succeeded { fill: #2da44e; } svg .bar.failed, svg .bar.declined { fill: var(--bad); }
svg .bar.in-doubt { fill: #fa4549; } svg .bar.running, svg .bar.awaiting-approval { fill: var(--run); }
svg .bar.skipped { fill: #d0d7de; } svg .bar.gate.succeeded { fill: var(--gate); }
svg .gate-wait { fill: var(--gate); opacity: .85; }
svg .marker.offchart text { fill: var(--bad); font-weight: 600; }
svg .step-label.on-abort { fill: var(--warn); } svg .bar-note { fill: var(--muted); font-size: 11px; }
svg .skip-mark { stroke: #9a6700; stroke-width: 2.5; fill: none; } svg .bar-note.skipped { fill: #9a6700; }
svg .block-span { fill: none; stroke: #8250df; stroke-width: 2; } svg .block-label { fill: #8250df; font-weight: 600; }
svg .idle { fill: rgba(154, 103, 0, 0.10); stroke: #d4a72c; stroke-dasharray: 2 3; }
svg .idle-label { fill: #9a6700; font-size: 11px; font-weight: 600; }
svg .retry-mark { stroke: #bc4c00; stroke-width: 3; }
svg .marker line { stroke: #6e7781; stroke-dasharray: 3 3; } svg .marker text { font-size: 11px; fill: #57606a; }
svg .marker.restored line { stroke: var(--ok); stroke-dasharray: none; stroke-width: 1.5; }
svg .marker.restored text { fill: var(--ok); font-weight: 600; }
svg .marker.rto line { stroke: var(--bad); stroke-width: 2; stroke-dasharray: 7 4; }
svg .marker.rto text { fill: var(--bad); font-weight: 600; }
svg .marker.abort line { stroke: var(--bad); stroke-width: 1.5; } svg .marker.abort text { fill: var(--bad); }
svg .marker.resume line { stroke: var(--warn); } svg .marker.resume text { fill: var(--warn); }
svg .marker.now line { stroke: var(--run); } svg .marker.now text { fill: var(--run); }
footer { color: var(--muted); font-size: 12.5px; margin-top: 28px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { main { max-width: none; padding: 0; } .chart { overflow: visible; } h2 { break-after: avoid; } }
`;
