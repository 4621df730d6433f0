//! What each kind of fixture backend answers, shared by the tests (`tests/integration`) and the
//! bench fixtures (`examples/fixture_backends.rs`): one module per kind, each a struct holding
//! what the backend holds with an `answer` giving the reply, the endpoint it is counted under
//! and the items the server enumerated. `Size` is the benches' two sizes ("large" is 100 times
//! "small"); `answer` routes a request to the kind of a bench target.

pub mod cluster;
pub mod huggingface;
pub mod kubo;
pub mod lotus;
pub mod rclone;
pub mod s3;

use serde_json::Value;

use super::fixture::{Answer, Reply, Request};

/// Chunks of a streamed answer are about this big, as a real server batches its writes.
const CHUNK_BYTES: usize = 32 * 1024;

/// A CIDv1-looking string of realistic length (59 characters), unique per (`prefix`, `n`).
pub fn cid(prefix: &str, n: usize) -> String {
    let digits = format!("{n:x}");
    let width = 52usize.saturating_sub(prefix.len());
    let mut text = format!("bafybei{prefix}{digits:a>width$}");
    text.truncate(59);
    text
}

/// NDJSON as Kubo and Cluster stream it: one line per value, batched into ~32 KiB chunks, with
/// the `X-Stream-Error` trailer announced (and not sent).
pub fn ndjson(lines: impl IntoIterator<Item = Value>) -> Reply {
    let mut chunks = Vec::new();
    let mut chunk = Vec::new();
    for line in lines {
        chunk.extend_from_slice(line.to_string().as_bytes());
        chunk.push(b'\n');
        if chunk.len() >= CHUNK_BYTES {
            chunks.push(std::mem::take(&mut chunk));
        }
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    Reply::Chunked {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Trailer".into(), "X-Stream-Error".into()),
        ],
        chunks,
        trailers: vec![],
    }
}

/// The kinds the bench fixture poses as, by their names in the ports file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ipfs,
    IpfsCluster,
    S3,
    Huggingface,
    Filecoin,
    Rclone,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Ipfs,
        Kind::IpfsCluster,
        Kind::S3,
        Kind::Huggingface,
        Kind::Filecoin,
        Kind::Rclone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Ipfs => "ipfs",
            Kind::IpfsCluster => "ipfs_cluster",
            Kind::S3 => "s3",
            Kind::Huggingface => "huggingface",
            Kind::Filecoin => "filecoin",
            Kind::Rclone => "rclone",
        }
    }

    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The benches' sizes: "large" is 100 times "small" (Lotus and rclone answer the same at both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Small,
    Large,
}

impl Size {
    pub const ALL: [Size; 2] = [Size::Small, Size::Large];

    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Large => "large",
        }
    }

    pub fn named(name: &str) -> Option<Size> {
        Size::ALL.into_iter().find(|s| s.name() == name)
    }

    fn times(self, small: usize) -> usize {
        match self {
            Size::Small => small,
            Size::Large => small * 100,
        }
    }
    /// Pins of the Kubo node (all recursive).
    pub fn kubo_pins(self) -> usize {
        self.times(1_000)
    }
    /// Pins of the cluster.
    pub fn cluster_pins(self) -> usize {
        self.times(500)
    }
    /// Objects in the S3 bucket.
    pub fn s3_objects(self) -> usize {
        self.times(2_000)
    }
    /// Files in the Hugging Face repository.
    pub fn hf_files(self) -> usize {
        self.times(300)
    }

    /// What the ports file says of this size.
    pub fn describe(self) -> Value {
        serde_json::json!({"kubo_pins": self.kubo_pins(), "cluster_pins": self.cluster_pins(),
                           "s3_objects": self.s3_objects(), "hf_files": self.hf_files()})
    }
}

/// One bench target: a backend of one kind at one size.
pub enum Backend {
    Ipfs(kubo::KuboNode),
    IpfsCluster(cluster::Cluster),
    S3(s3::Bucket),
    Huggingface(huggingface::Hub),
    Filecoin,
    Rclone,
}

impl Backend {
    /// The bench's backend of `kind` at `size` (`kubo_diag_healthy`: Kubo answers diag/healthy).
    pub fn bench(kind: Kind, size: Size, kubo_diag_healthy: bool) -> Backend {
        match kind {
            Kind::Ipfs => Backend::Ipfs(kubo::KuboNode::bench(size.kubo_pins(), kubo_diag_healthy)),
            Kind::IpfsCluster => Backend::IpfsCluster(cluster::Cluster::bench(size.cluster_pins())),
            Kind::S3 => Backend::S3(s3::Bucket::bench(size.s3_objects())),
            Kind::Huggingface => Backend::Huggingface(huggingface::Hub::bench(size.hf_files())),
            Kind::Filecoin => Backend::Filecoin,
            Kind::Rclone => Backend::Rclone,
        }
    }

    pub fn answer(&self, request: &Request) -> Answer {
        match self {
            Backend::Ipfs(node) => node.answer(request, |_| None),
            Backend::IpfsCluster(cluster) => cluster.answer(request, |_| None),
            Backend::S3(bucket) => bucket.answer(request),
            Backend::Huggingface(hub) => hub.answer(request),
            Backend::Filecoin => lotus::answer(request),
            Backend::Rclone => rclone::answer(request),
        }
    }
}
