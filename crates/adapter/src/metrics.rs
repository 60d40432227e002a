//! The bridge's Prometheus metrics, kept per bridge instance (no global recorder, so
//! several bridges in one test process stay apart) and rendered in the text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the agent latency histogram.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Counters and the agent latency histogram.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events received (webhook deliveries accepted, or messages/tasks polled).
    pub events_received: AtomicU64,
    /// Webhook requests refused (bad signature, malformed, too big, stale).
    pub events_rejected: AtomicU64,
    /// Duplicate deliveries acknowledged without work.
    pub events_duplicate: AtomicU64,
    /// Answers and task results posted back.
    pub events_relayed: AtomicU64,
    /// Items given up on after every attempt.
    pub events_failed: AtomicU64,
    /// Agent calls that failed.
    pub agent_errors: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    /// Records one agent call's latency.
    pub fn observe_agent(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Renders the Prometheus text format; `queue_depth` is the inbox's pending count.
    #[must_use]
    pub fn render(&self, queue_depth: u64) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
        };
        counter(
            &mut out,
            "jaibber_adapter_events_received_total",
            "Events accepted into the inbox.",
            &self.events_received,
        );
        counter(&mut out, "jaibber_adapter_events_rejected_total", "Webhook requests refused.", &self.events_rejected);
        counter(
            &mut out,
            "jaibber_adapter_events_duplicate_total",
            "Duplicate deliveries acknowledged.",
            &self.events_duplicate,
        );
        counter(
            &mut out,
            "jaibber_adapter_events_relayed_total",
            "Answers and task results posted back.",
            &self.events_relayed,
        );
        counter(
            &mut out,
            "jaibber_adapter_events_failed_total",
            "Items given up after every attempt.",
            &self.events_failed,
        );
        counter(&mut out, "jaibber_adapter_agent_errors_total", "Agent calls that failed.", &self.agent_errors);
        let _ = writeln!(
            out,
            "# HELP jaibber_adapter_queue_depth Inbox items waiting or in progress.\n# TYPE jaibber_adapter_queue_depth gauge\njaibber_adapter_queue_depth {queue_depth}"
        );
        let _ = writeln!(
            out,
            "# HELP jaibber_adapter_agent_seconds Agent call latency.\n# TYPE jaibber_adapter_agent_seconds histogram"
        );
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "jaibber_adapter_agent_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "jaibber_adapter_agent_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "jaibber_adapter_agent_seconds_sum {sum}\njaibber_adapter_agent_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let metrics = Metrics::default();
        metrics.observe_agent(Duration::from_millis(20));
        metrics.observe_agent(Duration::from_secs(3));
        let text = metrics.render(7);
        assert!(text.contains("jaibber_adapter_agent_seconds_bucket{le=\"0.01\"} 0"), "{text}");
        assert!(text.contains("jaibber_adapter_agent_seconds_bucket{le=\"0.025\"} 1"), "{text}");
        assert!(text.contains("jaibber_adapter_agent_seconds_bucket{le=\"5\"} 2"), "{text}");
        assert!(text.contains("jaibber_adapter_agent_seconds_count 2"));
        assert!(text.contains("jaibber_adapter_queue_depth 7"));
    }
}
