//! The detail's block of a clustered backend's nodes (IPFS Cluster peers, Garage nodes): a
//! count, then a line per node, down ones first.

use ratatui::style::Style;
use ratatui::text::Line;

use super::ages::{coarse_age, list_age, unix};
use super::facts::{fact, flow, Fact};
use crate::stats::{HealthStatus, NodeView};
use crate::text::{bytes, sanitize};
use crate::tui::theme::Theme;

/// Nodes listed one per line, down ones first; past this many, the rest are counted on one
/// line.
const NODES_SHOWN: usize = 12;

/// A node as facts: its name (and short id), up or down and why, its IPFS daemon's error, free
/// space of total, pins in error and queued, resync queue and errors, when its cluster last
/// heard from it, and how old figures an inventory counted are. What the server does not give
/// is not shown, or shown as `?` beside a figure it does give.
fn node_facts<'a>(node: &NodeView, now: i64, theme: &Theme, old: bool) -> Vec<Fact<'a>> {
    // A down node is the news: its whole line in the error colour (unless every figure of the
    // backend is old, then it is history like the rest).
    let style = match (old, node.up) {
        (true, _) => theme.dim(),
        (false, true) => Style::default(),
        (false, false) => theme.error(),
    };
    let known = |n: Option<u64>, show: fn(u64) -> String| n.map_or_else(|| "?".into(), show);
    let mut name = sanitize(&node.name, 64);
    if let Some(short) = node.short_id().filter(|s| !node.name.contains(s.as_str())) {
        name.push_str(&format!(" ({})", sanitize(&short, 16)));
    }
    let mut facts = vec![fact(
        name,
        style.add_modifier(ratatui::style::Modifier::BOLD),
    )];
    facts.push(match (&node.error, node.up) {
        (_, true) => fact(
            "up",
            if old {
                style
            } else {
                theme.health(HealthStatus::Healthy)
            },
        ),
        (Some(error), false) => fact(format!("down: {}", sanitize(error, 120)), style),
        (None, false) => fact("down", style),
    });
    if let Some(error) = &node.ipfs_error {
        let ipfs_style = if node.up && !old {
            theme.warning()
        } else {
            style
        };
        facts.push(fact(format!("IPFS: {}", sanitize(error, 120)), ipfs_style));
    }
    match (node.free_bytes, node.total_bytes) {
        (Some(free), Some(total)) => facts.push(fact(
            format!("free {} of {}", bytes(free), bytes(total)),
            style,
        )),
        (Some(free), None) => facts.push(fact(format!("free {}", bytes(free)), style)),
        (None, Some(total)) => facts.push(fact(format!("free ? of {}", bytes(total)), style)),
        (None, None) => {}
    }
    if node.pins_error.is_some() || node.pins_queued.is_some() {
        facts.push(fact(
            format!(
                "pins {} error, {} queued",
                known(node.pins_error, crate::text::count),
                known(node.pins_queued, crate::text::count)
            ),
            style,
        ));
    }
    if node.resync_queue.is_some() || node.resync_errors.is_some() {
        facts.push(fact(
            format!(
                "resync {} queued, {} errors",
                known(node.resync_queue, crate::text::count),
                known(node.resync_errors, crate::text::count)
            ),
            style,
        ));
    }
    if let Some(secs) = node.last_seen_secs {
        facts.push(fact(format!("seen {}", coarse_age(secs as i64)), style));
    }
    if let Some(at) = node.as_of.as_deref().and_then(unix) {
        facts.push(fact(format!("as of {}", list_age(now - at)), theme.dim()));
    }
    facts
}

/// The nodes of a clustered backend: a count, then a line per node, down ones first.
pub(super) fn node_lines<'a>(
    nodes: &[NodeView],
    now: i64,
    theme: &Theme,
    old: bool,
    width: u16,
) -> Vec<Line<'a>> {
    let up = nodes.iter().filter(|n| n.up).count();
    let summary = fact(
        format!("{up} of {} up", nodes.len()),
        if old || up == nodes.len() {
            theme.dim()
        } else {
            theme.error()
        },
    );
    let mut lines = flow("Nodes", theme.dim(), vec![summary], "", width);
    let mut ordered: Vec<&NodeView> = nodes.iter().collect();
    ordered.sort_by_key(|n| n.up);
    for node in ordered.iter().take(NODES_SHOWN) {
        // A label of one space: the node's facts start under the others' and its next lines
        // are indented alike.
        lines.extend(flow(
            " ",
            Style::default(),
            node_facts(node, now, theme, old),
            " · ",
            width,
        ));
    }
    if let Some(rest) = ordered.get(NODES_SHOWN..) {
        let down = rest.iter().filter(|n| !n.up).count();
        let text = match down {
            0 => format!("and {} more, up", crate::text::count(rest.len() as u64)),
            down => format!(
                "and {} more, {} down",
                crate::text::count(rest.len() as u64),
                crate::text::count(down as u64)
            ),
        };
        let style = if down == 0 {
            theme.dim()
        } else {
            theme.error()
        };
        lines.extend(flow(
            " ",
            Style::default(),
            vec![fact(text, style)],
            "",
            width,
        ));
    }
    lines
}
