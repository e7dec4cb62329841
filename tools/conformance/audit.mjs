// Runs the graphql-http server audit suite (GraphQL over HTTP spec
// conformance) against a live GraphQL endpoint.
//
//   node tools/conformance/audit.mjs http://127.0.0.1:18099/graphql
//
// Prints one line per audit (status, id, name, reason) and a summary line
// "conformance: N ok, N warnings, N errors". Only audits that return
// 'error' (the MUST requirements) fail the run (exit 1); warnings and
// notices (SHOULD/MAY) are printed but tolerated. An audit that throws
// counts as an error. Exit 2 on bad usage.
//
// The summary deliberately avoids the "N passed, N failed" shape, which CI
// output parsers read as Go/JS test results.

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}
try {
  new URL(url);
} catch {
  console.error(`audit.mjs: not a URL: ${url}`);
  process.exit(2);
}

const oneLine = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();

const audits = serverAudits({ url, fetchFn: fetch });
const counts = { ok: 0, warn: 0, notice: 0, error: 0 };

for (const a of audits) {
  const name = a.name ?? a.it ?? '(unnamed)';
  let status;
  let reason = '';
  try {
    const result = await a.fn();
    status = result.status;
    if (status !== 'ok') reason = result.reason;
  } catch (err) {
    status = 'error';
    const cause = err?.cause ? ` (${err.cause.message ?? err.cause})` : '';
    reason = `audit threw: ${err?.message ?? err}${cause}`;
  }
  if (!(status in counts)) {
    reason = `unknown audit status ${JSON.stringify(status)}; ${reason}`;
    status = 'error';
  }
  counts[status]++;
  const label = { ok: 'ok', warn: 'WARN', notice: 'notice', error: 'ERROR' }[status];
  const line = `${label.padEnd(6)} ${a.id ?? '----'} ${name}`;
  console.log(reason ? `${line} -- ${oneLine(reason)}` : line);
}

const warnings = counts.warn + counts.notice;
console.log(
  `conformance: ${counts.ok} ok, ${warnings} warnings, ${counts.error} errors`,
);
process.exit(counts.error > 0 ? 1 : 0);
