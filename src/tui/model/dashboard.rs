//! The backends the Python library's dashboard keeps in its own files (`backends.json`,
//! `backends/*.yaml`), as the runtime last read them off the UI loop. Read-only: shown by the
//! dashboard popup and counted in the list's title, never polled or written here.

use crate::store::ForeignBackend;

/// What the dashboard's files held when last read, and the files that did not read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DashboardBackends {
    pub backends: Vec<ForeignBackend>,
    pub errors: Vec<String>,
}

impl DashboardBackends {
    pub fn is_empty(&self) -> bool {
        self.backends.is_empty() && self.errors.is_empty()
    }
}
