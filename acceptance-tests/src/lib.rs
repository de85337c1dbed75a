//! Device lab: simulated devices and real components for tests and the demo.
//!
//! - [`device`]: the interface every device family implements ([`device::LabDevice`],
//!   [`device::StartDevice`], [`device::FaultControl`]); [`registry`]: the families.
//! - [`faults`]: the fault controls every simulator shares; [`lab_ca`]: the lab's CA;
//!   [`process`]: daemons of the real components; [`http`] + [`https`]: the HTTP/1.1 server
//!   side and the TLS accept and request loops the HTTPS simulators share; [`xml_text`]: XML
//!   escaping for the simulators that answer in XML.
//! - [`cms_mmp`]: a simulated Cisco Meeting Server MMP (SSH CLI) node.
//! - [`f5`]: a simulated F5 BIG-IP (iControl REST over HTTPS).
//! - [`cgp`]: a simulated CommuniGate Pro Dynamic Cluster (PWD CLI over TCP).
//! - [`xop`]: XOP appliances: real MariaDB servers and a real OpenSSH sshd on loopback.
//! - [`haproxy`]: load balancers: a real HAProxy on loopback and TCP member servers.
//! - [`ipvs`]: IPVS directors: a real sshd in front of an ipvsadm 1.31 stand-in.
//! - [`lab`]: starts the families of a spec on loopback and writes the files (`lab.json`,
//!   `known_hosts`, `lab-ca.pem`, `lab.auto.tfvars.json`) that tests and `terraform` use
//!   to reach them; [`cli`]: the command line of `uccluster-lab`.

pub mod cgp;
pub mod cli;
pub mod cms_mmp;
pub mod device;
pub mod f5;
pub mod faults;
pub mod haproxy;
pub mod http;
pub mod https;
pub mod imp;
pub mod ipvs;
pub mod lab;
pub mod lab_ca;
pub(crate) mod process;
pub mod registry;
pub mod secrets;
pub mod xml_text;
pub mod xop;
