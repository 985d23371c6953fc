//! Progress of long work a page started (a results file being checked and written), for the
//! page's script to show while it waits: the browser counts the bytes it sends, the server
//! says which step it is at and how many rows it has checked.
//!
//! Kept in memory per server, keyed by the user and an id the page chose; an entry is
//! forgotten a minute after its work ended, and there are at most [`MAX_ENTRIES`] at once
//! (the oldest go first). Without the script nothing here is used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Entries kept at once, across users.
pub(crate) const MAX_ENTRIES: usize = 1_000;
/// How long an entry is kept after its work ended.
const KEEP: Duration = Duration::from_secs(60);
/// Longest id a page may choose.
pub(crate) const MAX_ID_CHARS: usize = 64;

/// The step the work is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Step {
    /// The file arrived and is being read (CSV or XLSX into rows).
    Reading,
    /// Rows checked so far (`done` of `total`).
    Checking,
    /// Writing what was accepted, in one transaction.
    Writing,
    /// Finished; the answer is on its way.
    Done,
}

/// What the page reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Progress {
    pub step: Step,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug)]
struct Entry {
    progress: Progress,
    touched: Instant,
}

/// The progress entries of this server.
#[derive(Clone, Default)]
pub(crate) struct Uploads(Arc<Mutex<HashMap<(i64, String), Entry>>>);

/// An id a page may choose: 1–64 letters, digits and dashes.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, String), Entry>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts following the work of `user` under `id` (an invalid id follows nothing).
    pub(crate) fn start(&self, user: i64, id: &str) -> Tracker {
        if !valid_id(id) {
            return Tracker(None);
        }
        let key = (user, id.to_string());
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, e| e.progress.step != Step::Done || now - e.touched < KEEP);
        if map.len() >= MAX_ENTRIES {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.touched)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            key.clone(),
            Entry {
                progress: Progress {
                    step: Step::Reading,
                    done: 0,
                    total: 0,
                },
                touched: now,
            },
        );
        Tracker(Some((self.clone(), key)))
    }

    /// The progress of `user`'s work `id`, if it is followed.
    pub(crate) fn get(&self, user: i64, id: &str) -> Option<Progress> {
        self.lock()
            .get(&(user, id.to_string()))
            .map(|e| e.progress.clone())
    }
}

/// One piece of work being followed; says where it is. A tracker of nothing says nothing.
pub(crate) struct Tracker(Option<(Uploads, (i64, String))>);

impl Tracker {
    pub(crate) fn set(&self, step: Step, done: u64, total: u64) {
        if let Some((uploads, key)) = &self.0 {
            if let Some(e) = uploads.lock().get_mut(key) {
                e.progress = Progress { step, done, total };
                e.touched = Instant::now();
            }
        }
    }
}

impl Drop for Tracker {
    /// Work that ends, however it ends, is done.
    fn drop(&mut self) {
        if let Some((uploads, key)) = &self.0 {
            if let Some(e) = uploads.lock().get_mut(key) {
                e.progress.step = Step::Done;
                e.touched = Instant::now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracker_says_where_the_work_is_and_done_when_dropped() {
        let uploads = Uploads::default();
        let t = uploads.start(7, "a-1");
        assert_eq!(uploads.get(7, "a-1").map(|p| p.step), Some(Step::Reading));
        t.set(Step::Checking, 250, 1000);
        assert_eq!(
            uploads.get(7, "a-1"),
            Some(Progress {
                step: Step::Checking,
                done: 250,
                total: 1000
            })
        );
        assert_eq!(
            uploads.get(8, "a-1"),
            None,
            "another user's work is not seen"
        );
        drop(t);
        assert_eq!(uploads.get(7, "a-1").map(|p| p.step), Some(Step::Done));
    }

    #[test]
    fn ids_are_checked_and_entries_bounded() {
        let uploads = Uploads::default();
        for bad in ["", "a b", "<script>", &"x".repeat(MAX_ID_CHARS + 1)] {
            uploads.start(1, bad).set(Step::Checking, 1, 2);
            assert_eq!(uploads.get(1, bad), None, "{bad:?}");
        }
        let kept: Vec<Tracker> = (0..MAX_ENTRIES + 5)
            .map(|i| uploads.start(1, &format!("id-{i}")))
            .collect();
        assert_eq!(uploads.lock().len(), MAX_ENTRIES);
        assert!(uploads.get(1, &format!("id-{}", MAX_ENTRIES + 4)).is_some());
        drop(kept);
    }
}
