//! The balancer a provider block names, as `lb_virtual_server` drives it: one [`Balancer`]
//! implementation per backend (IPVS, HAProxy, F5) behind one [`LbDevice`], which gives every
//! resource of the run the same read of the balancer and lets one writer at a time change it.

use crate::devices::lb::rules::{At, Finding};
use crate::devices::lb::virtual_server::{Reported, Unsupported, VirtualServer};
use crate::resources::step::StepError;
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// What the resource asks a balancer to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub vs: VirtualServer,
    /// IPVS one-packet scheduling (`-o`) on the UDP service, after the resource's default.
    pub one_packet: bool,
}

/// One virtual server as a balancer holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub reported: Reported,
    /// IPVS one-packet scheduling; `false` elsewhere.
    pub one_packet: bool,
    /// Attributes whose value on the balancer the model has no word for, with the balancer's
    /// own word (an IPVS scheduler `sh`): the state shows it and the plan puts it back.
    pub foreign: Vec<(&'static str, String)>,
}

/// One backend. Implementations hold the connection settings of the provider block.
/// The foreign words of a configuration section (HAProxy's, keepalived's) that differs from
/// what uccluster writes for the model read from it: shown as the id, so the plan says so and
/// the apply writes the section again.
pub fn hand_edit(edited: bool, name: &str, line: usize) -> Vec<(&'static str, String)> {
    match edited {
        true => vec![(
            "id",
            format!("{name} (section edited by hand at line {line})"),
        )],
        false => Vec::new(),
    }
}

/// What a backend's configuration cannot express, as a plan-time finding at its attribute.
pub fn unsupported_finding(u: Unsupported, summary: &'static str) -> Finding {
    let at = match (u.member, u.attribute.strip_prefix("member.")) {
        (Some(i), Some(a)) => At::Member(i, a),
        _ => At::Attribute(u.attribute),
    };
    Finding {
        at,
        summary,
        detail: u.detail,
    }
}

#[async_trait::async_trait]
pub trait Balancer: Send + Sync {
    /// The provider block's name for it (`ipvs`, `haproxy`, `f5`).
    fn kind(&self) -> &'static str;

    /// Every way this backend cannot run `vs`, at the attribute it is about (plan time).
    fn refuse(&self, wanted: &Wanted) -> Vec<Finding>;

    /// The attributes this balancer does not hold: the state keeps the configured values.
    fn unheld(&self) -> &'static [&'static str];

    /// `reported` as this balancer's words for `configured` (F5 reads direct routing as no
    /// translation; a custom profile lists settings the configuration leaves to BIG-IP).
    fn settle(&self, _reported: &mut VirtualServer, _configured: &VirtualServer) {}

    /// Every virtual server on the balancer, in a number of requests that does not grow with
    /// the number of virtual servers.
    async fn read_all(&self, deadline: Instant) -> Result<Vec<Found>, StepError>;

    /// Which of `all` is `vs` (by name; IPVS, which keeps no names, by address, port and
    /// protocol).
    fn find(&self, all: &[Found], vs: &VirtualServer) -> Option<Found>;

    /// Take `current` (`None`: absent) to `wanted`.
    async fn apply(
        &self,
        wanted: &Wanted,
        current: Option<&Found>,
        deadline: Instant,
    ) -> Result<(), StepError>;

    /// Take `current` off the balancer.
    async fn remove(&self, current: &Found, deadline: Instant) -> Result<(), StepError>;

    /// The import ID of `vs` on this backend.
    fn import_id(&self, vs: &VirtualServer) -> String;
}

/// One read of a balancer, shared.
pub type Read = Arc<Result<Vec<Found>, StepError>>;

/// A balancer and what the resources of one run share about it.
pub struct LbDevice {
    pub balancer: Box<dyn Balancer>,
    /// The last read, until something is written: every resource refreshing in one run gets
    /// it (errors too, so a balancer that is down costs one timeout, not one per resource).
    read: Mutex<Option<Read>>,
    /// One change at a time: each one is a read-modify-write of the balancer.
    writer: Mutex<()>,
}

impl LbDevice {
    pub fn new(balancer: Box<dyn Balancer>) -> Self {
        LbDevice {
            balancer,
            read: Mutex::default(),
            writer: Mutex::default(),
        }
    }

    /// The balancer's virtual servers, read once for everyone who asks until the next write.
    pub async fn read_all(&self, deadline: Instant) -> Read {
        // Held while reading: the others wait for this read instead of starting their own.
        let mut cached = self.read.lock().await;
        if let Some(read) = cached.as_ref() {
            return read.clone();
        }
        let read = Arc::new(self.balancer.read_all(deadline).await);
        *cached = Some(read.clone());
        read
    }

    /// `vs` as the balancer holds it now (`Ok(None)`: absent).
    pub async fn find(
        &self,
        vs: &VirtualServer,
        deadline: Instant,
    ) -> Result<Option<Found>, StepError> {
        match self.read_all(deadline).await.as_ref() {
            Ok(all) => Ok(self.balancer.find(all, vs)),
            Err(e) => Err(e.clone()),
        }
    }

    /// The writer's turn, and what the balancer holds for `vs` now (read afresh).
    async fn turn(
        &self,
        vs: &VirtualServer,
        deadline: Instant,
    ) -> Result<(MutexGuard<'_, ()>, Option<Found>), StepError> {
        let turn = self.writer.lock().await;
        self.forget().await;
        let current = self.find(vs, deadline).await;
        self.forget().await;
        Ok((turn, current?))
    }

    /// Take the balancer to `wanted`, as the only writer; the next read asks it again.
    pub async fn apply(&self, wanted: &Wanted, deadline: Instant) -> Result<(), StepError> {
        let (_turn, current) = self.turn(&wanted.vs, deadline).await?;
        let result = self
            .balancer
            .apply(wanted, current.as_ref(), deadline)
            .await;
        self.forget().await;
        result
    }

    /// Take `vs` off the balancer; nothing to do when it is already gone.
    pub async fn remove(&self, vs: &VirtualServer, deadline: Instant) -> Result<(), StepError> {
        let (_turn, current) = self.turn(vs, deadline).await?;
        let Some(current) = current else {
            return Ok(());
        };
        let result = self.balancer.remove(&current, deadline).await;
        self.forget().await;
        result
    }

    async fn forget(&self) {
        *self.read.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::lb::rules::Finding;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A balancer whose table is a list in memory, counting the reads it serves.
    #[derive(Default)]
    struct Counting {
        reads: AtomicUsize,
        table: std::sync::Mutex<Vec<Found>>,
    }

    fn vs(name: &str) -> VirtualServer {
        use crate::devices::lb::virtual_server::*;
        VirtualServer {
            name: name.into(),
            address: "10.0.0.1".parse().unwrap(),
            port: Some(80),
            protocol: Protocol::Tcp,
            method: Method::RoundRobin,
            forwarding: Forwarding::Nat,
            persistence: Persistence::None,
            monitors: vec![],
            members: vec![],
            f5: F5Options::default(),
        }
    }

    #[async_trait::async_trait]
    impl Balancer for Arc<Counting> {
        fn kind(&self) -> &'static str {
            "memory"
        }
        fn refuse(&self, _: &Wanted) -> Vec<Finding> {
            vec![]
        }
        fn unheld(&self) -> &'static [&'static str] {
            &[]
        }
        async fn read_all(&self, _: Instant) -> Result<Vec<Found>, StepError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.table.lock().unwrap().clone())
        }
        fn find(&self, all: &[Found], vs: &VirtualServer) -> Option<Found> {
            all.iter().find(|f| f.reported.vs.name == vs.name).cloned()
        }
        async fn apply(&self, w: &Wanted, _: Option<&Found>, _: Instant) -> Result<(), StepError> {
            self.table.lock().unwrap().push(Found {
                reported: Reported {
                    vs: w.vs.clone(),
                    members: vec![],
                },
                one_packet: false,
                foreign: vec![],
            });
            Ok(())
        }
        async fn remove(&self, _: &Found, _: Instant) -> Result<(), StepError> {
            Ok(())
        }
        fn import_id(&self, vs: &VirtualServer) -> String {
            vs.name.clone()
        }
    }

    #[tokio::test]
    async fn every_virtual_server_of_a_run_shares_one_read_until_a_write() {
        let balancer = Arc::new(Counting::default());
        let device = Arc::new(LbDevice::new(Box::new(balancer.clone())));
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        let finds = (0..20).map(|i| {
            let device = device.clone();
            tokio::spawn(async move { device.find(&vs(&format!("vs{i}")), deadline).await })
        });
        for find in finds {
            assert_eq!(find.await.unwrap(), Ok(None));
        }
        assert_eq!(
            balancer.reads.load(Ordering::SeqCst),
            1,
            "one read for 20 virtual servers"
        );
        let wanted = Wanted {
            vs: vs("vs3"),
            one_packet: false,
        };
        device.apply(&wanted, deadline).await.unwrap();
        let found = device.find(&vs("vs3"), deadline).await.unwrap();
        assert_eq!(
            found.map(|f| f.reported.vs.name),
            Some("vs3".into()),
            "a write is seen"
        );
        assert_eq!(
            balancer.reads.load(Ordering::SeqCst),
            3,
            "the write read afresh before it changed anything, and the next find read again"
        );
    }
}
