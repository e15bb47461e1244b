import { afterEach, describe, expect, it } from 'vitest';
import { MetricsTap, parseEmf } from '#local/runtime/metrics-tap';

const emf = JSON.stringify({
  _aws: {
    Timestamp: 1,
    CloudWatchMetrics: [
      {
        Namespace: 'CurrentsBridge',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'EventsReceived', Unit: 'Count' },
          { Name: 'PublishLatency', Unit: 'Milliseconds' },
        ],
      },
    ],
  },
  service: 'currents-bridge',
  EventsReceived: [60, 40],
  PublishLatency: 12,
});

describe('parseEmf', () => {
  it('sums the values of every metric of an EMF document', () => {
    expect(parseEmf(emf)).toEqual({ EventsReceived: 100, PublishLatency: 12 });
  });

  it.each(['plain log line', '{"level":"INFO","message":"x"}', '{"_aws": broken'])('ignores %s', (line) => {
    expect(parseEmf(line)).toBeUndefined();
  });
});

describe('MetricsTap', () => {
  let tap: MetricsTap | undefined;
  afterEach(() => tap?.uninstall());

  it('counts and swallows EMF written to console.log, lets other output through, and restores console.log', () => {
    // Prepare
    const passed: unknown[][] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => passed.push(args);
    try {
      tap = new MetricsTap();

      // Act
      tap.install();
      console.log(emf);
      console.log(emf);
      console.log('hello', 1);
      tap.uninstall();
      console.log('after');

      // Assess
      expect(tap.total('EventsReceived')).toBe(200);
      expect(tap.totals()).toEqual({ EventsReceived: 200, PublishLatency: 24 });
      expect(passed).toEqual([['hello', 1], ['after']]);
    } finally {
      console.log = original;
    }
  });
});
