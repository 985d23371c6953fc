//! How often one user may ask for costly work (a phone's sync): a fixed window per user,
//! kept in memory per server. A phone syncs when its network comes back, every minute
//! while online and when the user asks; a client that loops is answered 429 with the
//! seconds to wait, and the users it shares the server with are not slowed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Users followed at once; beyond, the windows that ended are forgotten (and if none has,
/// all are: a burst of new users then starts afresh rather than growing memory).
const MAX_USERS: usize = 10_000;

pub(crate) struct PerUser {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<i64, (Instant, u32)>>,
}

impl PerUser {
    pub(crate) fn new(max: u32, window: Duration) -> PerUser {
        PerUser {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `user`: `Err(seconds)` to wait when the window is full.
    pub(crate) fn check(&self, user: i64) -> Result<(), u64> {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_USERS && !seen.contains_key(&user) {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if seen.len() >= MAX_USERS {
                seen.clear();
            }
        }
        let entry = seen.entry(user).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_past_the_limit_waits_and_others_do_not() {
        let l = PerUser::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(l.check(1), Ok(()));
        }
        let wait = l.check(1).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(l.check(2), Ok(()));
        let short = PerUser::new(1, Duration::from_millis(20));
        assert_eq!(short.check(1), Ok(()));
        assert!(short.check(1).is_err());
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(short.check(1), Ok(()), "a new window");
    }
}
