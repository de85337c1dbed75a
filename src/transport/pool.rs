//! One session per device per provider process, shared by every resource.
//!
//! Each device has a slot guarded by an async mutex: commands on one device are serialized (the
//! MMP is a single interactive shell, and devices dislike parallel configuration sessions), while
//! different devices proceed in parallel. A broken session is dropped from its slot so the next
//! user reconnects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

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
