//! Per-node views of a clustered backend (IPFS Cluster peers, Garage nodes): a cluster is only
//! as healthy as its weakest node. The pulse lists the nodes (who is up, each one's error); an
//! inventory may add figures it alone reads (free space per peer, pins per peer, resync
//! errors), merged in by node id.

use serde::{Deserialize, Serialize};

/// At most this many nodes are kept per backend: a watched cluster has a handful to a few
/// dozen; the list must not grow without bound with a huge one.
pub const MAX_NODES: usize = 256;

/// Longest node name kept (names come from the backend: peernames, host names).
const NAME_CHARS: usize = 64;

/// One node of a clustered backend. A figure the server does not give is `None` (JSON
/// `null`), shown as unknown, never 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    /// What a person knows the node by (a peername, a host name; else its id), cleaned, never an
    /// address; unique within the backend.
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    /// The node answers its cluster.
    #[serde(default)]
    pub up: bool,
    /// What the cluster says is wrong with the node (why it is down).
    #[serde(default)]
    pub error: Option<String>,
    /// A Cluster peer's IPFS daemon's error, as the peer reports it.
    #[serde(default)]
    pub ipfs_error: Option<String>,
    /// How long ago the cluster last heard from the node, when it says.
    #[serde(default)]
    pub last_seen_secs: Option<u64>,
    #[serde(default)]
    pub free_bytes: Option<u64>,
    #[serde(default)]
    pub total_bytes: Option<u64>,
    #[serde(default)]
    pub metadata_free_bytes: Option<u64>,
    #[serde(default)]
    pub metadata_total_bytes: Option<u64>,
    /// Pins in error on this peer.
    #[serde(default)]
    pub pins_error: Option<u64>,
    /// Pins queued on this peer.
    #[serde(default)]
    pub pins_queued: Option<u64>,
    /// Blocks waiting to be resynchronised to or from this node.
    #[serde(default)]
    pub resync_queue: Option<u64>,
    /// Blocks this node failed to resynchronise.
    #[serde(default)]
    pub resync_errors: Option<u64>,
    /// When the figures an inventory counted for this node were read, or when a node list kept
    /// from an earlier poll was: they are older than the pulse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

impl NodeView {
    /// A node named by what the backend calls it, else by its id. The name is cleaned, bounded,
    /// and never something that looks like an address (a name is shown and exported as a label:
    /// no place for where a node lives).
    pub fn named(name: Option<&str>, id: Option<&str>) -> NodeView {
        let id = id.map(crate::probe::clean).filter(|id| !id.is_empty());
        let name = name
            .map(clean_name)
            .filter(|name| !name.is_empty() && !looks_like_address(name))
            .or_else(|| id.as_deref().map(short_id))
            .unwrap_or_else(|| "(unnamed node)".into());
        NodeView {
            name,
            id,
            ..NodeView::default()
        }
    }

    /// The id shortened as people compare them: a libp2p peer id by its end (they all start
    /// with `12D3KooW` or `Qm`), any other (Garage's hex ids) by its first 16 characters, as
    /// `garage status` shows them.
    pub fn short_id(&self) -> Option<String> {
        self.id.as_deref().map(short_id)
    }

    /// Takes from `counted` (the same node, as an inventory saw it) every figure this view does
    /// not know; says whether it took any.
    fn fill_from(&mut self, counted: &NodeView) -> bool {
        fn fill<T: Clone>(live: &mut Option<T>, counted: &Option<T>) -> bool {
            if live.is_none() && counted.is_some() {
                live.clone_from(counted);
                true
            } else {
                false
            }
        }
        [
            fill(&mut self.last_seen_secs, &counted.last_seen_secs),
            fill(&mut self.free_bytes, &counted.free_bytes),
            fill(&mut self.total_bytes, &counted.total_bytes),
            fill(&mut self.metadata_free_bytes, &counted.metadata_free_bytes),
            fill(
                &mut self.metadata_total_bytes,
                &counted.metadata_total_bytes,
            ),
            fill(&mut self.pins_error, &counted.pins_error),
            fill(&mut self.pins_queued, &counted.pins_queued),
            fill(&mut self.resync_queue, &counted.resync_queue),
            fill(&mut self.resync_errors, &counted.resync_errors),
        ]
        .contains(&true)
    }

    fn same_node(&self, other: &NodeView) -> bool {
        match (&self.id, &other.id) {
            (Some(a), Some(b)) => a == b,
            _ => self.name == other.name,
        }
    }
}

fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if id.starts_with("12D3Koo") || id.starts_with("Qm") {
        chars[chars.len().saturating_sub(6)..].iter().collect()
    } else {
        chars.iter().take(16).collect()
    }
}

fn clean_name(name: &str) -> String {
    crate::text::sanitize(name.trim(), NAME_CHARS)
}

/// A URL, a multiaddress or `host:port`: where a node lives, not what it is called.
fn looks_like_address(name: &str) -> bool {
    name.contains("://")
        || name.starts_with('/')
        || name
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

/// Makes names unique within one backend (a label of the exporter's series and a line of the
/// detail each): a name shared by several nodes (two Garage nodes on one host) gets its short
/// id after a `#`.
pub fn make_names_unique(nodes: &mut [NodeView]) {
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    for node in nodes.iter_mut() {
        let shared = names.iter().filter(|n| **n == node.name).count() > 1;
        if shared {
            if let Some(short) = node.short_id() {
                node.name = format!("{}#{short}", node.name);
            }
        }
    }
}

/// The node list of a backend after a pulse: the nodes the pulse listed (live), else, when the
/// call that lists them failed (`kept_from` is when the kept list was read), the nodes kept
/// from before; then each one's figures the pulse leaves unknown from the inventory's nodes
/// (same id), those nodes saying the inventory's time. The inventory adds no node of its own:
/// it cannot say whether one is up.
pub fn compose(
    live: Vec<NodeView>,
    kept: Option<(&[NodeView], Option<&str>)>,
    counted: Option<(&[NodeView], &str)>,
) -> Vec<NodeView> {
    let mut nodes = live;
    if nodes.is_empty() {
        if let Some((kept, kept_from)) = kept {
            nodes = kept
                .iter()
                .cloned()
                .map(|mut node| {
                    if node.as_of.is_none() {
                        node.as_of = kept_from.map(str::to_string);
                    }
                    node
                })
                .collect();
        }
    }
    let Some((counted, as_of)) = counted else {
        return nodes;
    };
    // The pulse's list is the cluster now: a node only the inventory knows has left it.
    for node in &mut nodes {
        if let Some(seen) = counted.iter().find(|c| node.same_node(c)) {
            if node.fill_from(seen) && node.as_of.is_none() {
                node.as_of = Some(as_of.to_string());
            }
        }
    }
    nodes
}

/// What the nodes' own figures say is wrong beyond what the pulse said: blocks a node failed
/// to resynchronise (counted by an inventory); `None` when nothing is.
pub fn problems(nodes: &[NodeView]) -> Option<String> {
    let parts: Vec<String> = nodes
        .iter()
        .filter_map(|node| match node.resync_errors {
            Some(errors) if errors > 0 => Some(format!(
                "node {} has {} failing to resync",
                node.name,
                crate::text::plural(errors, "block", "blocks")
            )),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The fullest node: the least free space among the nodes that report it (what a cluster that
/// places data on every node can still take).
pub fn least_free(nodes: &[NodeView]) -> Option<u64> {
    nodes.iter().filter_map(|n| n.free_bytes).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, id: &str) -> NodeView {
        NodeView {
            up: true,
            ..NodeView::named(Some(name), Some(id))
        }
    }

    #[test]
    fn names_are_clean_never_addresses_and_unique() {
        assert_eq!(
            NodeView::named(Some(" peer-a\x1b[31m "), None).name,
            "peer-a"
        );
        let id = "12D3KooWLeCtmPjvtUsCEmU8bqSwUPUHZMQyd3yQvRS5aHkBWeXu";
        assert_eq!(
            NodeView::named(Some("10.0.0.5:9096"), Some(id)).name,
            "kBWeXu"
        );
        assert_eq!(
            NodeView::named(Some("/ip4/10.0.0.5/tcp/9096"), Some(id)).name,
            "kBWeXu"
        );
        assert_eq!(
            NodeView::named(Some("http://10.0.0.5"), Some(id)).name,
            "kBWeXu"
        );
        let hex = "6aa10578467b2b218267b1e8ec63007f659bf3c8106ebf908b2c87ee1e9fd783";
        assert_eq!(NodeView::named(None, Some(hex)).name, "6aa10578467b2b21");
        assert_eq!(NodeView::named(None, None).name, "(unnamed node)");
        let mut nodes = vec![
            node("vm", "aaaa1111"),
            node("vm", "bbbb2222"),
            node("x", "c"),
        ];
        make_names_unique(&mut nodes);
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["vm#aaaa1111", "vm#bbbb2222", "x"]);
    }

    #[test]
    fn inventory_figures_merge_by_id_with_their_time() {
        let live = vec![
            NodeView {
                free_bytes: Some(10),
                ..node("a", "id-a")
            },
            node("b", "id-b"),
        ];
        let counted = vec![
            NodeView {
                free_bytes: Some(99),
                pins_error: Some(2),
                ..node("a-old-name", "id-a")
            },
            NodeView {
                resync_errors: Some(0),
                ..node("gone", "id-gone")
            },
        ];
        let nodes = compose(live, None, Some((&counted, "2026-01-01T00:00:00+00:00")));
        assert_eq!(nodes.len(), 2, "a node only the inventory knows has left");
        // The pulse's figure wins; the inventory fills what it does not give, with its time.
        assert_eq!(nodes[0].name, "a");
        assert_eq!(nodes[0].free_bytes, Some(10));
        assert_eq!(nodes[0].pins_error, Some(2));
        assert_eq!(nodes[0].as_of.as_deref(), Some("2026-01-01T00:00:00+00:00"));
        assert_eq!(nodes[1].as_of, None);
        assert_eq!(nodes[1].pins_error, None, "unknown stays unknown");
    }

    #[test]
    fn a_failed_listing_keeps_the_nodes_with_their_time() {
        let kept = vec![node("a", "id-a")];
        let nodes = compose(
            Vec::new(),
            Some((&kept, Some("2026-01-01T00:00:05+00:00"))),
            None,
        );
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].as_of.as_deref(), Some("2026-01-01T00:00:05+00:00"));
    }

    #[test]
    fn resync_errors_are_a_problem_and_the_fullest_node_is_found() {
        let nodes = vec![
            NodeView {
                resync_errors: Some(3),
                free_bytes: Some(500),
                ..node("garage-b", "b")
            },
            NodeView {
                resync_errors: Some(0),
                free_bytes: Some(200),
                ..node("garage-a", "a")
            },
            node("garage-c", "c"),
        ];
        assert_eq!(
            problems(&nodes).as_deref(),
            Some("node garage-b has 3 blocks failing to resync")
        );
        assert_eq!(problems(&nodes[1..]), None);
        assert_eq!(least_free(&nodes), Some(200));
        assert_eq!(least_free(&nodes[2..]), None);
    }
}
