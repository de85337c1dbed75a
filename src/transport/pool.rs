//! One session per device per provider process, shared by every resource.
//!
//! Each device has a slot guarded by an async mutex: commands on one device are serialized (the
//! MMP is a single interactive shell, and devices dislike parallel configuration sessions), while
//! different devices proceed in parallel. A broken session is dropped from its slot so the next
//! user reconnects.

use super::TransportError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// What a pool keys its devices by, and how errors name them.
pub trait PoolTarget {
    /// One pooled connection per distinct key (address, port, user, credentials, trust).
    fn pool_key(&self) -> String;
    /// `host:port`, as messages name the device.
    fn endpoint(&self) -> String;
}

pub type Slot<T> = Arc<tokio::sync::Mutex<Option<T>>>;

pub struct DevicePool<T> {
    slots: Mutex<HashMap<String, Slot<T>>>,
}

impl<T> Default for DevicePool<T> {
    fn default() -> Self {
        DevicePool {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> DevicePool<T> {
    /// Exclusive access to the device's slot; waits while another task uses the device.
    pub async fn lock(&self, key: &str) -> OwnedMutexGuard<Option<T>> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(key.to_string()).or_default().clone()
        };
        slot.lock_owned().await
    }

    /// Exclusive use of `target`'s connection for a sequence of operations (check, then act).
    pub async fn session<'a, K: PoolTarget>(&self, target: &'a K) -> Session<'a, T, K> {
        Session {
            guard: self.lock(&target.pool_key()).await,
            target,
        }
    }
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
}
