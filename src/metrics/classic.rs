//! OpenMetrics text → the classic Prometheus text format (0.0.4).
//!
//! prometheus-client writes only OpenMetrics; the classic format is what a scraper gets that
//! does not ask for OpenMetrics, and what node_exporter's textfile collector reads. The two
//! differ in a few places, each handled here line by line:
//!
//! - `# EOF` (OpenMetrics' last line) and `# UNIT` lines do not exist in the classic format: dropped.
//! - A counter family `x` writes samples `x_total`; the classic `# HELP`/`# TYPE` lines name the
//!   samples' metric, so they say `x_total`. `x_created` samples are dropped (counters,
//!   histograms, summaries).
//! - Types the classic format lacks: `info` → `gauge` named `x_info` (its samples' name),
//!   `stateset` → `gauge`, `gaugehistogram` and `unknown` → `untyped`.
//! - `# HELP` text: OpenMetrics escapes `"` as `\"`, the classic format does not escape it.
//! - Samples: an exemplar (` # {...} v`) is dropped; a timestamp in seconds becomes milliseconds.
//!
//! Label sets and values are the same in both formats and are copied as they are.

/// The classic text of an OpenMetrics exposition.
pub fn from_openmetrics(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The family being written: its OpenMetrics name and type.
    let mut family: Option<(String, String)> = None;
    // A HELP line waits for its family's TYPE line, which decides the name it is written with.
    let mut pending_help: Option<(String, String)> = None;
    for line in text.lines() {
        if line == "# EOF" {
            break;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            flush_help(&mut out, &mut pending_help);
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            pending_help = Some((name.to_string(), help.replace("\\\"", "\"")));
            family = Some((name.to_string(), "unknown".to_string()));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, om_type) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (classic_name, classic_type) = classic_family(name, om_type);
            if let Some((help_name, help)) = pending_help.take() {
                if help_name == name {
                    out.push_str(&format!("# HELP {classic_name} {help}\n"));
                } else {
                    out.push_str(&format!("# HELP {help_name} {help}\n"));
                }
            }
            out.push_str(&format!("# TYPE {classic_name} {classic_type}\n"));
            family = Some((name.to_string(), om_type.to_string()));
        } else if line.starts_with("# UNIT ") {
            continue;
        } else if line.starts_with('#') || line.trim().is_empty() {
            // Other comments: OpenMetrics has none; nothing to carry over.
            continue;
        } else {
            flush_help(&mut out, &mut pending_help);
            if let Some(sample) = classic_sample(line, family.as_ref()) {
                out.push_str(&sample);
                out.push('\n');
            }
        }
    }
    flush_help(&mut out, &mut pending_help);
    out
}

fn flush_help(out: &mut String, pending: &mut Option<(String, String)>) {
    if let Some((name, help)) = pending.take() {
        out.push_str(&format!("# HELP {name} {help}\n"));
    }
}

/// The name and type a family's HELP/TYPE lines carry in the classic format.
fn classic_family(name: &str, om_type: &str) -> (String, &'static str) {
    match om_type {
        "counter" => (format!("{name}_total"), "counter"),
        "info" => (format!("{name}_info"), "gauge"),
        "gauge" | "stateset" => (name.to_string(), "gauge"),
        "histogram" => (name.to_string(), "histogram"),
        "summary" => (name.to_string(), "summary"),
        _ => (name.to_string(), "untyped"),
    }
}

/// One sample line in the classic format; `None` for a sample it has no place for.
fn classic_sample(line: &str, family: Option<&(String, String)>) -> Option<String> {
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    let name = &line[..name_end];
    if let Some((family_name, om_type)) = family {
        let created = name
            .strip_prefix(family_name.as_str())
            .is_some_and(|suffix| suffix == "_created");
        if created && matches!(om_type.as_str(), "counter" | "histogram" | "summary") {
            return None;
        }
    }
    let labels_end = if line[name_end..].starts_with('{') {
        name_end + label_set_len(&line[name_end..])?
    } else {
        name_end
    };
    let mut fields = line[labels_end..].split_whitespace();
    let value = fields.next()?;
    let mut out = format!("{} {value}", &line[..labels_end]);
    // What follows the value: a timestamp (seconds), then an exemplar (`# {...} v [t]`).
    if let Some(timestamp) = fields.next().filter(|field| *field != "#") {
        let seconds: f64 = timestamp.parse().ok()?;
        out.push_str(&format!(" {}", (seconds * 1000.0).round() as i64));
    }
    Some(out)
}

/// The length of the label set `{...}` at the start of `text`, quotes and escapes respected.
fn label_set_len(text: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '}' if !in_quotes => return Some(at + 1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_by_their_samples_and_lose_created() {
        let om = "# HELP jobs Jobs run.\n# TYPE jobs counter\njobs_total{result=\"ok\"} 3\n\
                  jobs_created{result=\"ok\"} 1700000000.5\n# EOF\n";
        assert_eq!(
            from_openmetrics(om),
            "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total{result=\"ok\"} 3\n"
        );
    }

    #[test]
    fn units_and_eof_are_dropped_and_gauges_kept() {
        let om = "# HELP used_bytes Bytes used\n# TYPE used_bytes gauge\n# UNIT used_bytes bytes\n\
                  used_bytes{backend=\"a\"} 42\n# EOF\n";
        assert_eq!(
            from_openmetrics(om),
            "# HELP used_bytes Bytes used\n# TYPE used_bytes gauge\nused_bytes{backend=\"a\"} 42\n"
        );
    }

    #[test]
    fn types_the_classic_format_lacks_become_gauge_or_untyped() {
        let om = "# TYPE build info\nbuild_info{version=\"1\"} 1\n\
                  # TYPE feature stateset\nfeature{feature=\"a\"} 1\n\
                  # TYPE other unknown\nother 2\n# EOF\n";
        assert_eq!(
            from_openmetrics(om),
            "# TYPE build_info gauge\nbuild_info{version=\"1\"} 1\n\
             # TYPE feature gauge\nfeature{feature=\"a\"} 1\n\
             # TYPE other untyped\nother 2\n"
        );
    }

    #[test]
    fn histograms_keep_their_buckets_and_lose_created() {
        let om =
            "# HELP d_seconds Durations.\n# TYPE d_seconds histogram\n# UNIT d_seconds seconds\n\
                  d_seconds_sum 1.5\nd_seconds_count 2\nd_seconds_bucket{le=\"1.0\"} 1\n\
                  d_seconds_bucket{le=\"+Inf\"} 2\nd_seconds_created 12.0\n# EOF\n";
        assert_eq!(
            from_openmetrics(om),
            "# HELP d_seconds Durations.\n# TYPE d_seconds histogram\n\
             d_seconds_sum 1.5\nd_seconds_count 2\nd_seconds_bucket{le=\"1.0\"} 1\n\
             d_seconds_bucket{le=\"+Inf\"} 2\n"
        );
    }

    #[test]
    fn exemplars_go_timestamps_become_milliseconds_label_values_stay() {
        let om = "# TYPE c counter\n\
                  c_total{id=\"a } # {b\\\"\"} 5 1700000000.25 # {trace=\"x\"} 1.0\n\
                  c_total{id=\"z\"} 6 # {trace=\"y\"} 1.0 1700000000\n# EOF\n";
        assert_eq!(
            from_openmetrics(om),
            "# TYPE c_total counter\n\
             c_total{id=\"a } # {b\\\"\"} 5 1700000000250\n\
             c_total{id=\"z\"} 6\n"
        );
    }

    #[test]
    fn help_unescapes_quotes_only() {
        let om = "# HELP g Say \\\"hi\\\" \\\\ twice\\n\n# TYPE g gauge\ng 1\n# EOF\n";
        assert_eq!(
            from_openmetrics(om),
            "# HELP g Say \"hi\" \\\\ twice\\n\n# TYPE g gauge\ng 1\n"
        );
    }
}
