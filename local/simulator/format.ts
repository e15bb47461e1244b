import type { SimulationReport } from './simulator';

/** The simulator's final report as a few lines for a terminal. */
export function formatReport(report: SimulationReport): string {
  const lines = [
    `sent ${report.sent}, acknowledged ${report.acknowledged}, dropped ${report.dropped}, unsent ${report.unsent}`,
    `requests ${report.requests}, retries ${report.retries}, by status: ${
      Object.entries(report.byStatus)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ') || 'none'
    }`,
    `took ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  if (report.stopped) lines.push(`stopped on HTTP ${report.stopped.status}: ${report.stopped.body}`);
  for (const dropped of report.droppedEvents) lines.push(`dropped ${dropped.id}: ${dropped.reason}`);
  return lines.join('\n');
}
