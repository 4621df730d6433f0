//! What an inventory (the slow count of what grows with a backend) finds, and how it is kept
//! in the store between runs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FailedCall, Figures};

/// What one inventory run found. A run stops at its budget; where the API allows it, `resume`
/// says where the next run goes on (an S3 continuation token, a walk position), and `figures`
/// are the totals so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InventoryRun {
    pub figures: Figures,
    /// The whole backend was counted.
    pub complete: bool,
    /// Where to go on; `None` when complete or when the API cannot resume.
    pub resume: Option<Value>,
    /// Requests this run made.
    pub requests: u64,
    /// Calls that failed; the figures they feed are missing.
    pub failed: Vec<FailedCall>,
}

/// A count that finished, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    pub as_of: String,
    pub figures: Figures,
    pub complete: bool,
}

/// A count carried over several runs (a bucket too big for one run's budget).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub started_at: String,
    pub resume: Value,
    /// Totals so far.
    pub figures: Figures,
    pub requests: u64,
}

/// The last inventory run: when, what it cost, how it ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub at: String,
    pub elapsed_ms: f64,
    pub requests: u64,
    pub outcome: InventoryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InventoryState {
    /// Everything was counted.
    Complete,
    /// The budget ran out and the API cannot resume: the figures are lower bounds.
    Partial,
    /// The budget ran out; the next run goes on where this one stopped.
    Counting,
    /// The run failed.
    Failed,
}

/// An inventory as kept in the store (`metadata/inventory.ID.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryRecord {
    #[serde(default)]
    pub counted: Option<Counted>,
    #[serde(default)]
    pub progress: Option<Progress>,
    #[serde(default)]
    pub last_run: Option<RunInfo>,
}

impl InventoryRecord {
    /// The figures to show and their time: the last finished count, else the totals so far of
    /// a count in progress (lower bounds).
    pub fn shown(&self) -> Option<(Figures, String)> {
        if let Some(counted) = &self.counted {
            let mut figures = counted.figures.clone();
            figures.files.partial |= !counted.complete;
            return Some((figures, counted.as_of.clone()));
        }
        let progress = self.progress.as_ref()?;
        let at = self.last_run.as_ref()?.at.clone();
        let mut figures = progress.figures.clone();
        figures.files.partial = true;
        Some((figures, at))
    }

    pub fn summary(&self) -> Option<InventorySummary> {
        let run = self.last_run.as_ref()?;
        Some(InventorySummary {
            as_of: self.counted.as_ref().map(|c| c.as_of.clone()),
            state: run.outcome,
            last_run: run.at.clone(),
            requests: run.requests,
            message: run.error.clone(),
        })
    }
}

/// What the stats say about the inventory behind the slow figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventorySummary {
    /// When the figures shown were counted (the last count that finished).
    pub as_of: Option<String>,
    /// How the last run ended.
    pub state: InventoryState,
    pub last_run: String,
    /// Requests the last run made.
    pub requests: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
