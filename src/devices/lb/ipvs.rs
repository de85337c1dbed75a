//! Linux IPVS through `ipvsadm` (ipvsadm 1.31; its man page ipvsadm(8) and source ipvsadm.c):
//! the virtual services and real servers of one virtual server as `ipvsadm` argument lists,
//! and the table as `ipvsadm -S -n` prints it, read back into the model.
//!
//! Mapping (ipvsadm(8)): `round_robin` is the weighted `wrr` and `least_connections` the
//! weighted `wlc`, so members' weights count; `nat` is masquerading `-m`, `direct_routing` is
//! gatewaying `-g`; persistence `source_address` is `-p` (360 s, ipvsadm's default); a member
//! that is not enabled has weight 0 ("quiesced": no new connections, existing ones finish,
//! ipvsadm(8) `-w`); one-packet scheduling is `-o`, written ` ops` by `-S` (ipvsadm.c
//! `print_service_entry`). `both` is two services, `-t` and `-u`, on the same address and port.
//! IPVS has no health checks (keepalived or ldirectord run them), no names and no monitors.

use super::virtual_server::{
    Forwarding, Health, Member, MemberReport, Method, Persistence, Protocol, Reported,
    VirtualServer,
};
use std::net::{IpAddr, SocketAddr};

/// ipvsadm's default persistence timeout, seconds (libipvs.h `IPVS_SVC_PERSISTENT_TIMEOUT`).
pub const PERSISTENCE_SECONDS: u32 = 360;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    fn flag(self) -> &'static str {
        match self {
            Proto::Tcp => "-t",
            Proto::Udp => "-u",
        }
    }
}

/// One real server line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Real {
    pub address: SocketAddr,
    /// `-g`, `-m` or `-i`.
    pub forwarding: String,
    pub weight: u32,
}

/// One virtual service with its real servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub proto: Proto,
    pub address: SocketAddr,
    pub scheduler: String,
    /// `-p <seconds>`.
    pub persistent: Option<u32>,
    /// `-o`: one-packet scheduling.
    pub ops: bool,
    pub reals: Vec<Real>,
}

fn endpoint(a: &SocketAddr) -> String {
    a.to_string()
}

impl Service {
    fn key(&self) -> Vec<String> {
        vec![self.proto.flag().into(), endpoint(&self.address)]
    }

    fn settings(&self) -> Vec<String> {
        let mut args = vec!["-s".to_string(), self.scheduler.clone()];
        if let Some(p) = self.persistent {
            args.extend(["-p".into(), p.to_string()]);
        }
        if self.ops {
            args.push("-o".into());
        }
        args
    }

    /// `ipvsadm -A`: the service, without its real servers.
    pub fn add(&self) -> Vec<String> {
        [vec!["-A".into()], self.key(), self.settings()].concat()
    }

    /// `ipvsadm -E`: the service's scheduler and options.
    pub fn edit(&self) -> Vec<String> {
        [vec!["-E".into()], self.key(), self.settings()].concat()
    }

    /// `ipvsadm -D`: the service and its real servers.
    pub fn delete(&self) -> Vec<String> {
        [vec!["-D".into()], self.key()].concat()
    }

    fn real(&self, command: &str, real: &Real, settings: bool) -> Vec<String> {
        let mut args = [
            vec![command.to_string()],
            self.key(),
            vec!["-r".into(), endpoint(&real.address)],
        ]
        .concat();
        if settings {
            args.extend([
                real.forwarding.clone(),
                "-w".into(),
                real.weight.to_string(),
            ]);
        }
        args
    }

    pub fn add_real(&self, real: &Real) -> Vec<String> {
        self.real("-a", real, true)
    }

    pub fn edit_real(&self, real: &Real) -> Vec<String> {
        self.real("-e", real, true)
    }

    pub fn delete_real(&self, real: &Real) -> Vec<String> {
        self.real("-d", real, false)
    }

    /// The argument lists that take `current` (`None`: absent) to `self`: the service first,
    /// then real servers added and changed before the ones that leave, so the service never
    /// has fewer members than both states share.
    pub fn changes_from(&self, current: Option<&Service>) -> Vec<Vec<String>> {
        let Some(current) = current else {
            let mut out = vec![self.add()];
            out.extend(self.reals.iter().map(|r| self.add_real(r)));
            return out;
        };
        let mut out = Vec::new();
        if self.settings() != current.settings() {
            out.push(self.edit());
        }
        for real in &self.reals {
            match current.reals.iter().find(|r| r.address == real.address) {
                None => out.push(self.add_real(real)),
                Some(r) if r != real => out.push(self.edit_real(real)),
                Some(_) => {}
            }
        }
        for gone in current
            .reals
            .iter()
            .filter(|r| !self.reals.iter().any(|w| w.address == r.address))
        {
            out.push(self.delete_real(gone));
        }
        out
    }
}

fn scheduler(method: Method) -> &'static str {
    match method {
        Method::RoundRobin => "wrr",
        Method::LeastConnections => "wlc",
    }
}

fn forwarding_flag(f: Forwarding) -> &'static str {
    match f {
        Forwarding::Nat => "-m",
        // No IPVS mode keeps the destination and routes answers back; the resource refuses
        // `no_translation` on this backend before anything is built.
        Forwarding::DirectRouting | Forwarding::NoTranslation => "-g",
    }
}

/// The services of `vs` (`ops`: one-packet scheduling on its UDP service). `None` when `vs`
/// has no port (IPVS needs one without persistence; the resource refuses it first).
pub fn services(vs: &VirtualServer, ops: bool) -> Option<Vec<Service>> {
    let port = vs.port?;
    let protos: &[Proto] = match vs.protocol {
        Protocol::Tcp => &[Proto::Tcp],
        Protocol::Udp => &[Proto::Udp],
        Protocol::Both => &[Proto::Tcp, Proto::Udp],
    };
    let reals: Vec<Real> = vs
        .members
        .iter()
        .map(|m| Real {
            address: SocketAddr::new(m.address, vs.member_port(m).unwrap_or(port)),
            forwarding: forwarding_flag(vs.forwarding).into(),
            weight: match m.enabled {
                true => m.weight,
                false => 0,
            },
        })
        .collect();
    Some(
        protos
            .iter()
            .map(|&proto| Service {
                proto,
                address: SocketAddr::new(vs.address, port),
                scheduler: scheduler(vs.method).into(),
                persistent: (vs.persistence == Persistence::SourceAddress)
                    .then_some(PERSISTENCE_SECONDS),
                ops: ops && proto == Proto::Udp,
                reals: reals.clone(),
            })
            .collect(),
    )
}

fn parse_endpoint(text: &str, line: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not address:port in line {line:?}"))
}

fn value<'a>(
    words: &mut impl Iterator<Item = &'a str>,
    flag: &str,
    line: &str,
) -> Result<&'a str, String> {
    words
        .next()
        .ok_or_else(|| format!("{flag} has no value in line {line:?}"))
}

/// The table `ipvsadm -S -n` printed. Firewall-mark services (`-f`) and their real servers
/// are not virtual servers of an address and are left out.
pub fn parse_save(text: &str) -> Result<Vec<Service>, String> {
    let mut services: Vec<Service> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words = line.split_whitespace();
        let command = words.next().unwrap_or_default();
        let proto = match words.next() {
            Some("-t") => Proto::Tcp,
            Some("-u") => Proto::Udp,
            Some("-f") => continue,
            other => return Err(format!("unknown service kind {other:?} in line {line:?}")),
        };
        let address = parse_endpoint(value(&mut words, "the service", line)?, line)?;
        match command {
            "-A" => {
                let mut s = Service {
                    proto,
                    address,
                    scheduler: "wlc".into(),
                    persistent: None,
                    ops: false,
                    reals: Vec::new(),
                };
                while let Some(w) = words.next() {
                    match w {
                        "-s" => s.scheduler = value(&mut words, w, line)?.to_string(),
                        "-p" => {
                            let t = value(&mut words, w, line)?;
                            s.persistent = Some(t.parse().map_err(|_| {
                                format!("persistence {t:?} is not seconds in line {line:?}")
                            })?);
                        }
                        "-M" => {
                            value(&mut words, w, line)?;
                        }
                        "ops" | "-o" => s.ops = true,
                        // Scheduler flags (`-b`) and the like: not ours to manage.
                        _ => {}
                    }
                }
                services.push(s);
            }
            "-a" => {
                let mut real = None;
                let (mut forwarding, mut weight) = ("-g".to_string(), 1);
                while let Some(w) = words.next() {
                    match w {
                        "-r" => real = Some(parse_endpoint(value(&mut words, w, line)?, line)?),
                        "-g" | "-m" | "-i" => forwarding = w.to_string(),
                        "-w" => {
                            let n = value(&mut words, w, line)?;
                            weight = n.parse().map_err(|_| {
                                format!("weight {n:?} is not a number in line {line:?}")
                            })?;
                        }
                        _ => {}
                    }
                }
                let real = real.ok_or_else(|| format!("no -r in line {line:?}"))?;
                let service = services
                    .iter_mut()
                    .find(|s| s.proto == proto && s.address == address)
                    .ok_or_else(|| format!("real server before its service in line {line:?}"))?;
                service.reals.push(Real {
                    address: real,
                    forwarding,
                    weight,
                });
            }
            other => return Err(format!("unknown command {other:?} in line {line:?}")),
        }
    }
    Ok(services)
}

/// What the table says that the model cannot: the balancer's own word for an attribute, so the
/// state shows it and the plan changes it back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Foreign {
    /// A scheduler other than the four the model maps (`sh`, `dh`, ...).
    pub method: Option<String>,
    /// `-i` (tunnelling), or members forwarded in different ways.
    pub forwarding: Option<String>,
}

/// One virtual server as the table holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub reported: Reported,
    /// One-packet scheduling on its UDP service.
    pub ops: bool,
    pub foreign: Foreign,
}

/// The resource's default member name: `<address>:<port>`, `<address>.<port>` for IPv6.
pub fn member_name(address: &SocketAddr) -> String {
    match address.ip() {
        IpAddr::V4(a) => format!("{a}:{}", address.port()),
        IpAddr::V6(a) => format!("{a}.{}", address.port()),
    }
}

/// A quiesced member (not enabled) reads with weight 0: IPVS keeps no other weight for it.
/// `service` (and its UDP twin, when the table has one with the same settings and reals) as
/// the model. Names are the members' `address:port` (IPVS keeps no names; the resource keeps
/// the configured ones) and the name of the virtual server is its `proto:address:port`.
fn found(service: &Service, twin: Option<&Service>) -> Found {
    let mut foreign = Foreign::default();
    let method = match service.scheduler.as_str() {
        "wrr" | "rr" => Method::RoundRobin,
        "wlc" | "lc" => Method::LeastConnections,
        other => {
            foreign.method = Some(other.to_string());
            Method::RoundRobin
        }
    };
    let mut flags: Vec<&str> = service
        .reals
        .iter()
        .map(|r| r.forwarding.as_str())
        .collect();
    flags.dedup();
    let forwarding = match flags.as_slice() {
        ["-m"] => Forwarding::Nat,
        [] | ["-g"] => Forwarding::DirectRouting,
        ["-i"] => {
            foreign.forwarding = Some("tunnel".into());
            Forwarding::DirectRouting
        }
        _ => {
            foreign.forwarding = Some(format!("mixed ({})", flags.join(" ")));
            Forwarding::DirectRouting
        }
    };
    let protocol = match (service.proto, twin) {
        (_, Some(_)) => Protocol::Both,
        (Proto::Tcp, None) => Protocol::Tcp,
        (Proto::Udp, None) => Protocol::Udp,
    };
    let port = service.address.port();
    let members = service
        .reals
        .iter()
        .map(|r| Member {
            name: member_name(&r.address),
            address: r.address.ip(),
            port: (r.address.port() != port).then_some(r.address.port()),
            weight: r.weight,
            enabled: r.weight > 0,
        })
        .collect();
    let reports = service
        .reals
        .iter()
        .map(|r| MemberReport {
            health: Health::Unchecked,
            status: format!("weight {}", r.weight),
        })
        .collect();
    let proto = match protocol {
        Protocol::Both => "both",
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
    };
    Found {
        reported: Reported {
            vs: VirtualServer {
                name: format!("{proto}:{}", service.address),
                address: service.address.ip(),
                port: Some(port),
                protocol,
                method,
                forwarding,
                persistence: match service.persistent {
                    Some(_) => Persistence::SourceAddress,
                    None => Persistence::None,
                },
                monitors: Vec::new(),
                members,
                f5: Default::default(),
            },
            members: reports,
        },
        ops: twin.map_or(service.ops, |t| t.ops),
        foreign,
    }
}

/// Every virtual server of the table: a TCP and a UDP service on the same address and port with
/// the same scheduler, persistence and reals are one `both` virtual server.
pub fn virtual_servers(services: &[Service]) -> Vec<Found> {
    let same = |a: &Service, b: &Service| {
        a.address == b.address
            && a.scheduler == b.scheduler
            && a.persistent == b.persistent
            && a.reals == b.reals
    };
    let mut out = Vec::new();
    for s in services {
        let twin = services
            .iter()
            .find(|o| o.proto == Proto::Udp && s.proto == Proto::Tcp && same(s, o));
        let twinned_udp =
            s.proto == Proto::Udp && services.iter().any(|o| o.proto == Proto::Tcp && same(o, s));
        if !twinned_udp {
            out.push(found(s, twin));
        }
    }
    out
}

/// The address, port and protocol that identify a virtual server on IPVS.
pub fn identity(vs: &VirtualServer) -> (IpAddr, Option<u16>, Protocol) {
    (vs.address, vs.port, vs.protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::lb::rules::tests::sip;

    fn line(args: &[String]) -> String {
        args.join(" ")
    }

    #[test]
    fn the_seeds_sip_vip_is_one_udp_service_with_one_packet_scheduling() {
        let services = services(&sip(), true).unwrap();
        let lines: Vec<String> = services[0]
            .changes_from(None)
            .iter()
            .map(|a| line(a))
            .collect();
        assert_eq!(
            lines,
            [
                "-A -u 64.173.55.164:5060 -s wrr -o",
                "-a -u 64.173.55.164:5060 -r 64.173.55.180:5060 -g -w 1",
                "-a -u 64.173.55.164:5060 -r 64.173.55.181:5060 -g -w 1",
            ]
        );
    }

    /// The save format, as ipvsadm.c `print_service_entry` writes it in FMT_RULE mode (and as
    /// the lab's stand-in writes it).
    const SAVED: &str = "-A -u 64.173.55.164:5060 -s wrr ops
-a -u 64.173.55.164:5060 -r 64.173.55.180:5060 -g -w 1
-a -u 64.173.55.164:5060 -r 64.173.55.181:5060 -g -w 0
-A -t 10.0.0.1:25 -s sh -p 360
-a -t 10.0.0.1:25 -r 10.0.1.1:2525 -m -w 3
-A -f 7 -s rr
-a -f 7 -r 10.0.1.9:0 -g -w 1
";

    #[test]
    fn the_saved_table_reads_back_into_the_model_with_foreign_words_kept() {
        let found = virtual_servers(&parse_save(SAVED).unwrap());
        assert_eq!(found.len(), 2, "the firewall-mark service is not a VIP");
        let sip = &found[0];
        assert!(sip.ops);
        assert_eq!(sip.reported.vs.protocol, Protocol::Udp);
        assert_eq!(sip.reported.vs.forwarding, Forwarding::DirectRouting);
        assert!(!sip.reported.vs.members[1].enabled, "weight 0 is quiesced");
        assert_eq!(sip.reported.members[1].status, "weight 0");
        let smtp = &found[1];
        assert_eq!(smtp.foreign.method.as_deref(), Some("sh"));
        assert_eq!(smtp.reported.vs.persistence, Persistence::SourceAddress);
        assert_eq!(smtp.reported.vs.forwarding, Forwarding::Nat);
        assert_eq!(smtp.reported.vs.members[0].port, Some(2525));
        assert_eq!(smtp.reported.vs.members[0].weight, 3);
    }

    #[test]
    fn both_is_two_services_read_back_as_one() {
        let mut vs = sip();
        vs.protocol = Protocol::Both;
        let services = services(&vs, true).unwrap();
        assert_eq!(services.len(), 2);
        assert!(!services[0].ops, "one-packet scheduling is UDP only");
        let saved: String = services
            .iter()
            .flat_map(|s| s.changes_from(None))
            .map(|a| line(&a).replace(" -o", " ops") + "\n")
            .collect();
        let found = virtual_servers(&parse_save(&saved).unwrap());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].reported.vs.protocol, Protocol::Both);
        assert!(found[0].ops);
    }

    #[test]
    fn changes_add_and_edit_before_they_delete() {
        let before = services(&sip(), true).unwrap().remove(0);
        let mut vs = sip();
        vs.members[0].enabled = false;
        vs.members.remove(1);
        vs.members.push(Member {
            name: "fe7".into(),
            address: "64.173.55.182".parse().unwrap(),
            port: None,
            weight: 5,
            enabled: true,
        });
        vs.method = Method::LeastConnections;
        let after = services(&vs, true).unwrap().remove(0);
        let lines: Vec<String> = after
            .changes_from(Some(&before))
            .iter()
            .map(|a| line(a))
            .collect();
        assert_eq!(
            lines,
            [
                "-E -u 64.173.55.164:5060 -s wlc -o",
                "-e -u 64.173.55.164:5060 -r 64.173.55.180:5060 -g -w 0",
                "-a -u 64.173.55.164:5060 -r 64.173.55.182:5060 -g -w 5",
                "-d -u 64.173.55.164:5060 -r 64.173.55.181:5060",
            ]
        );
        assert!(after.changes_from(Some(&after)).is_empty());
    }

    #[test]
    fn malformed_tables_are_errors_not_panics() {
        for bad in [
            "-A -t nowhere -s rr",
            "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
            "-A -t 10.0.0.1:80 -s",
            "-A -x 10.0.0.1:80",
            "-Z -t 10.0.0.1:80",
            "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -w many",
            "-A",
        ] {
            assert!(parse_save(bad).is_err(), "{bad:?}");
        }
    }
}
