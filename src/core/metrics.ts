/**
 * Metrics: one prom-client registry per Gatehouse instance (never the global one, so two
 * instances in one process, as tests make them, do not clash), and the narrow interface the
 * HTTP layer and the features register their metrics through. A feature never sees
 * prom-client: it declares a counter, a histogram or a gauge by name, help and label names.
 *
 * Aggregation across `gatehouse serve --workers`: every worker answers the primary's request
 * with its registry as JSON (prom-client's AggregatorRegistry); counters and histograms are
 * summed, and a gauge that reads shared state (an SQL count every worker sees alike) is
 * declared `shared` so it is taken once (`max`) rather than summed.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricLabels = Readonly<Record<string, string | number>>;

export interface CounterMetric {
  inc(labels?: MetricLabels, value?: number): void;
}

export interface HistogramMetric {
  /** Records one observation (seconds, for durations). */
  observe(labels: MetricLabels, value: number): void;
}

export interface GaugeMetric {
  set(labels: MetricLabels, value: number): void;
  inc(labels?: MetricLabels, value?: number): void;
  dec(labels?: MetricLabels, value?: number): void;
}

export interface MetricSpec {
  /** Prometheus name, `snake_case`; Gatehouse's own start with `gatehouse_`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

export interface GaugeSpec extends MetricSpec {
  /**
   * Read on every scrape (an SQL count, a queue length). Answer one number, or one value per
   * label set. A collector that throws leaves the gauge at its last value (a scrape never fails
   * because a database is down).
   */
  readonly collect?: () => Promise<number | readonly { labels: MetricLabels; value: number }[]>;
  /**
   * The value is the same in every worker (read from shared state): across workers it is taken
   * once, not summed. @default false
   */
  readonly shared?: boolean;
}

/** What the HTTP layer and the features register their metrics through. */
export interface MetricsRegistrar {
  counter(spec: MetricSpec): CounterMetric;
  histogram(spec: MetricSpec & { readonly buckets?: readonly number[] }): HistogramMetric;
  gauge(spec: GaugeSpec): GaugeMetric;
}

/** An instance's metrics: the registrar, and the registry a scrape renders. */
export interface Metrics extends MetricsRegistrar {
  readonly registry: Registry;
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string;
  /** The Prometheus text of this process's registry. */
  render(): Promise<string>;
}

/** Latency buckets (seconds) for requests, queries and store calls: 1 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new TypeError(`metric name "${name}" is not a Prometheus name`);
}

/** A new, empty registry with the registrar on it. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const labelsOf = (labels: MetricLabels | undefined) => (labels ?? {}) as Record<string, string | number>;
  const metrics: Metrics = {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    counter(spec) {
      checkName(spec.name);
      const counter = new Counter({
        name: spec.name,
        help: spec.help,
        labelNames: [...(spec.labelNames ?? [])],
        registers: [registry],
      });
      return { inc: (labels, value = 1) => counter.inc(labelsOf(labels), value) };
    },
    histogram(spec) {
      checkName(spec.name);
      const histogram = new Histogram({
        name: spec.name,
        help: spec.help,
        labelNames: [...(spec.labelNames ?? [])],
        buckets: [...(spec.buckets ?? LATENCY_BUCKETS)],
        registers: [registry],
      });
      return { observe: (labels, value) => histogram.observe(labelsOf(labels), value) };
    },
    gauge(spec) {
      checkName(spec.name);
      const collect = spec.collect;
      const gauge: Gauge = new Gauge({
        name: spec.name,
        help: spec.help,
        labelNames: [...(spec.labelNames ?? [])],
        registers: [registry],
        aggregator: spec.shared ? 'max' : 'sum',
        ...(collect
          ? {
              async collect() {
                try {
                  const value = await collect();
                  if (typeof value === 'number') gauge.set(value);
                  else for (const entry of value) gauge.set(labelsOf(entry.labels), entry.value);
                } catch {
                  // Left at the last value: the scrape answers, the store or database error is
                  // counted where it happened.
                }
              },
            }
          : {}),
      });
      return {
        set: (labels, value) => gauge.set(labelsOf(labels), value),
        inc: (labels, value = 1) => gauge.inc(labelsOf(labels), value),
        dec: (labels, value = 1) => gauge.dec(labelsOf(labels), value),
      };
    },
  };
  return Object.freeze(metrics);
}
