//! The families written through prometheus-client: a [`Collector`] that encodes const samples
//! (built from a snapshot just before) at scrape time, into the crate's OpenMetrics text.

use std::fmt::Write;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelValue, LabelValueEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::families::{Family, MetricKind, MetricUnit, Sample, SampleValue};

/// The families of one snapshot, ready to encode.
#[derive(Debug)]
pub struct SnapshotCollector {
    pub families: Vec<(Family, Vec<Sample>)>,
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (family, samples) in &self.families {
            // The crate appends the unit to the name it is given: give it the name without.
            let unit = family.unit().map(|unit| match unit {
                MetricUnit::Bytes => Unit::Bytes,
                MetricUnit::Seconds => Unit::Seconds,
            });
            let full = family.name();
            let name = family
                .unit()
                .and_then(|unit| full.strip_suffix(&format!("_{}", unit.as_str())))
                .unwrap_or(full);
            let metric_type = match family.kind() {
                MetricKind::Gauge => MetricType::Gauge,
                MetricKind::Counter => MetricType::Counter,
                MetricKind::Histogram => MetricType::Histogram,
            };
            let mut metric =
                encoder.encode_descriptor(name, family.help(), unit.as_ref(), metric_type)?;
            for sample in samples {
                let labels: Vec<(&str, Escaped)> = sample
                    .labels
                    .iter()
                    .map(|(key, value)| (*key, Escaped(value)))
                    .collect();
                let mut series = metric.encode_family(&labels)?;
                match &sample.value {
                    SampleValue::Int(value) => series.encode_gauge(value)?,
                    SampleValue::Float(value) => series.encode_gauge(value)?,
                    SampleValue::Counter(value) => {
                        series.encode_counter::<NoLabelSet, u64, f64>(value, None)?
                    }
                    SampleValue::Histogram {
                        sum,
                        count,
                        buckets,
                    } => series.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?,
                }
            }
        }
        Ok(())
    }
}

/// A label value written with the text formats' escapes (`\\`, `\"`, `\n`): prometheus-client
/// 0.24 writes `&str` label values as they are, and a backend id may hold any of these.
#[derive(Debug)]
struct Escaped<'a>(&'a str);

impl EncodeLabelValue for Escaped<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        let mut rest = self.0;
        while let Some(at) = rest.find(['\\', '"', '\n']) {
            encoder.write_str(&rest[..at])?;
            encoder.write_str(match rest.as_bytes()[at] {
                b'\\' => "\\\\",
                b'"' => "\\\"",
                _ => "\\n",
            })?;
            rest = &rest[at + 1..];
        }
        encoder.write_str(rest)
    }
}

/// The OpenMetrics text of these families, `# EOF` last.
pub fn openmetrics(families: Vec<(Family, Vec<Sample>)>) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector { families }));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}
