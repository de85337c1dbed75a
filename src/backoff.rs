//! Retrying with exponential backoff, bounded by a deadline: how slow or flaky device steps are waited for.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// Delays between attempts: 250ms, 500ms, 1s, 2s, then 4s capped.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(250),
            max: Duration::from_secs(4),
        }
    }
}

impl Backoff {
    /// Delays from `first`, doubling up to `max`.
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff { next: first, max }
    }

    /// The next delay, never sleeping past `deadline`. `None` once the deadline has passed.
    pub fn next_delay(&mut self, deadline: Instant) -> Option<Duration> {
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        let delay = self.next.min(deadline - now);
        self.next = (self.next * 2).min(self.max);
        Some(delay)
    }
}

/// Run `attempt` until it succeeds, its error is not retryable, `max_attempts` is reached or the
/// deadline passes. Returns the last error.
pub async fn retry<T, E, F, Fut>(
    max_attempts: u32,
    deadline: Instant,
    is_retryable: impl Fn(&E) -> bool,
    mut attempt: F,
) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = Backoff::default();
    let mut n = 1;
    loop {
        match attempt(n).await {
            Ok(v) => return Ok(v),
            Err(e) if n < max_attempts && is_retryable(&e) => match backoff.next_delay(deadline) {
                Some(delay) => {
                    tracing::debug!(attempt = n, delay_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_until_success() {
        let deadline = Instant::now() + Duration::from_secs(60);
        let r: Result<u32, &str> = retry(
            5,
            deadline,
            |_| true,
            |n| async move {
                if n < 3 {
                    Err("flaky")
                } else {
                    Ok(n)
                }
            },
        )
        .await;
        assert_eq!(r, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_permanent_error_and_attempt_limit() {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut calls = 0;
        let r: Result<(), &str> = retry(
            5,
            deadline,
            |e| *e != "fatal",
            |_| {
                calls += 1;
                async { Err("fatal") }
            },
        )
        .await;
        assert_eq!((r, calls), (Err("fatal"), 1));
        let r: Result<(), &str> = retry(3, deadline, |_| true, |_| async { Err("flaky") }).await;
        assert_eq!(r, Err("flaky"));
    }

    #[test]
    fn delays_double_and_respect_deadline() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut b = Backoff::default();
            let deadline = Instant::now() + Duration::from_millis(600);
            assert_eq!(b.next_delay(deadline), Some(Duration::from_millis(250)));
            assert_eq!(b.next_delay(deadline), Some(Duration::from_millis(500)));
            tokio::time::advance(Duration::from_millis(700)).await;
            assert_eq!(b.next_delay(deadline), None);
        });
    }
}
