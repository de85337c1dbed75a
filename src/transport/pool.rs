//! One session per device per provider process, shared by every resource.
//!
//! Each device has a slot guarded by an async mutex: commands on one device are serialized (the
//! MMP is a single interactive shell, and devices dislike parallel configuration sessions), while
//! different devices proceed in parallel. A broken session is dropped from its slot so the next
//! user reconnects.
//!
//! Two kinds of turn share that shape. A [`Session`] holds the device's one connection
//! exclusively for a sequence of operations (an MMP shell, a line protocol, a SQL connection):
//! one task at a time. A [`SharedTurn`] is for a connection that carries several requests at
//! once (an HTTPS client with its own keep-alive connections): tasks share it, up to the
//! target's [`PoolTarget::concurrency_cap`] at a time, so a device that allows one writer (AXL)
//! gets one whatever `terraform -parallelism` says.

use super::TransportError;
use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// What a pool keys its devices by, and how errors name them.
pub trait PoolTarget {
    /// One pooled connection per distinct key (address, port, user, credentials, trust).
    fn pool_key(&self) -> String;
    /// `host:port`, as messages name the device.
    fn endpoint(&self) -> String;
    /// How many shared turns may use this device at once (`None`: as many as ask). Exclusive
    /// sessions are one at a time whatever this says. The first target seen for a key sets it.
    fn concurrency_cap(&self) -> Option<NonZeroUsize> {
        None
    }
}

/// One device's place in the pool: its connection, and the turns it allows at once.
struct Slot<T> {
    connection: Arc<tokio::sync::Mutex<Option<T>>>,
    turns: Option<Arc<Semaphore>>,
}

pub struct DevicePool<T> {
    slots: Mutex<HashMap<String, Arc<Slot<T>>>>,
}

impl<T> Default for DevicePool<T> {
    fn default() -> Self {
        DevicePool {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> DevicePool<T> {
    fn slot(&self, key: &str, cap: Option<NonZeroUsize>) -> Arc<Slot<T>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots
            .entry(key.to_string())
            .or_insert_with(|| {
                Arc::new(Slot {
                    connection: Arc::default(),
                    turns: cap.map(|n| Arc::new(Semaphore::new(n.get()))),
                })
            })
            .clone()
    }

    /// Exclusive access to the device's connection; waits while another task uses the device.
    pub async fn lock(&self, key: &str) -> OwnedMutexGuard<Option<T>> {
        self.slot(key, None).connection.clone().lock_owned().await
    }

    /// Exclusive use of `target`'s connection for a sequence of operations (check, then act).
    pub async fn session<'a, K: PoolTarget>(&self, target: &'a K) -> Session<'a, T, K> {
        Session {
            guard: self.lock(&target.pool_key()).await,
            target,
        }
    }
}

impl<T: Clone> DevicePool<T> {
    /// A turn on `target`'s shared connection: waits for a free turn under the device's cap,
    /// then hands out the connection, opening it with `open` on first use (or when the last
    /// one is not `usable` any more).
    pub async fn shared<'a, K: PoolTarget, F>(
        &self,
        target: &'a K,
        usable: impl Fn(&T) -> bool,
        open: F,
    ) -> Result<SharedTurn<'a, T, K>, TransportError>
    where
        F: Future<Output = Result<T, TransportError>>,
    {
        let slot = self.slot(&target.pool_key(), target.concurrency_cap());
        let permit =
            match &slot.turns {
                // The semaphore is never closed, so acquiring fails only if it were.
                Some(turns) => Some(turns.clone().acquire_owned().await.map_err(|_| {
                    TransportError::Connect {
                        endpoint: target.endpoint(),
                        message: "the device's session pool is closed".into(),
                    }
                })?),
                None => None,
            };
        // Held only while the connection is looked up or opened: concurrent first users wait
        // for one connection instead of opening one each.
        let mut connection = slot.connection.lock().await;
        if connection.as_ref().is_some_and(|c| !usable(c)) {
            *connection = None;
        }
        let connection = match &mut *connection {
            Some(c) => c.clone(),
            None => connection.insert(open.await?).clone(),
        };
        Ok(SharedTurn {
            connection,
            target,
            _permit: permit,
        })
    }
}

/// One task's turn on a device whose connection serves several tasks at once; the device's
/// turn is given back when this is dropped.
pub struct SharedTurn<'a, T, K> {
    pub(crate) connection: T,
    pub(crate) target: &'a K,
    _permit: Option<OwnedSemaphorePermit>,
}

/// One task's turn on a device: the pooled connection (opened on first use) and its target.
/// Each transport adds its operations to its own `Session<'_, Connection, Target>`.
pub struct Session<'a, T, K> {
    guard: OwnedMutexGuard<Option<T>>,
    pub(crate) target: &'a K,
}

impl<T, K: PoolTarget> Session<'_, T, K> {
    pub fn endpoint(&self) -> String {
        self.target.endpoint()
    }

    /// The pooled connection; `open` makes a new one when there is none or the one there is not
    /// `usable` any more (a broken connection is dropped, never reused).
    pub(crate) async fn connection<F>(
        &mut self,
        usable: impl Fn(&T) -> bool,
        open: F,
    ) -> Result<&mut T, TransportError>
    where
        F: Future<Output = Result<T, TransportError>>,
    {
        let slot = &mut *self.guard;
        if slot.as_ref().is_some_and(|c| !usable(c)) {
            *slot = None;
        }
        match slot {
            Some(conn) => Ok(conn),
            None => Ok(slot.insert(open.await?)),
        }
    }

    /// The pooled connection if one is open, without opening one.
    pub(crate) fn open_connection(&mut self) -> Option<&mut T> {
        self.guard.as_mut()
    }

    /// Drop the pooled connection (broken, or its state unknown): the next user reconnects.
    pub(crate) fn drop_connection(&mut self) {
        *self.guard = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn same_device_is_serialized_other_devices_are_not() {
        let pool: Arc<DevicePool<u32>> = Arc::new(DevicePool::default());
        let mut a = pool.lock("a").await;
        *a = Some(1);
        // Another device is available while "a" is held.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), pool.lock("b"))
                .await
                .is_ok()
        );
        // The same device waits.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), pool.lock("a"))
                .await
                .is_err()
        );
        drop(a);
        assert_eq!(*pool.lock("a").await, Some(1));
    }

    struct Capped(Option<usize>);

    impl PoolTarget for Capped {
        fn pool_key(&self) -> String {
            format!("{:?}", self.0)
        }
        fn endpoint(&self) -> String {
            "device:1".into()
        }
        fn concurrency_cap(&self) -> Option<NonZeroUsize> {
            self.0.and_then(NonZeroUsize::new)
        }
    }

    /// Shared turns use one connection, opened once, and never more turns than the cap at once.
    #[tokio::test]
    async fn shared_turns_share_one_connection_under_the_cap() {
        let pool: DevicePool<Arc<()>> = DevicePool::default();
        let opened = std::sync::atomic::AtomicUsize::new(0);
        let open = || async {
            opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Arc::new(()))
        };
        let two = Capped(Some(2));
        let first = pool.shared(&two, |_| true, open()).await.unwrap();
        let second = pool.shared(&two, |_| true, open()).await.unwrap();
        assert!(Arc::ptr_eq(&first.connection, &second.connection));
        assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A third turn waits for one of the two to end.
        let third = pool.shared(&two, |_| true, open());
        tokio::pin!(third);
        assert!(futures::poll!(third.as_mut()).is_pending());
        drop(first);
        assert!(futures::poll!(third.as_mut()).is_ready());
        // Without a cap, turns do not wait for each other.
        let open_cap = Capped(None);
        let turns: Vec<_> =
            futures::future::join_all((0..5).map(|_| pool.shared(&open_cap, |_| true, open())))
                .await;
        assert!(turns.iter().all(Result::is_ok));
        drop(second);
    }

    /// A shared connection that is no longer usable is replaced, and a failed open leaves none.
    #[tokio::test]
    async fn a_broken_shared_connection_is_replaced() {
        let pool: DevicePool<u32> = DevicePool::default();
        let t = Capped(Some(1));
        let failed = pool
            .shared(&t, |_| true, async {
                Err(TransportError::Connect {
                    endpoint: "device:1".into(),
                    message: "down".into(),
                })
            })
            .await;
        assert!(failed.is_err());
        let one = pool.shared(&t, |_| true, async { Ok(1) }).await.unwrap();
        assert_eq!(one.connection, 1);
        drop(one);
        let kept = pool.shared(&t, |_| true, async { Ok(2) }).await.unwrap();
        assert_eq!(kept.connection, 1);
        drop(kept);
        let replaced = pool.shared(&t, |c| *c != 1, async { Ok(3) }).await.unwrap();
        assert_eq!(replaced.connection, 3);
    }
}
