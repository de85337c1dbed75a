//! The device families a lab can hold, in the order they start (and appear in `--help`).
//!
//! Adding a family (the IM&P SOAP simulator) is implementing [`crate::device::StartDevice`] for it in its own module and
//! adding its line here: the lab, its files and `uccluster-lab`'s flags come from this list.

use crate::cgp::lab_device::CgpMembers;
use crate::cms_mmp::lab_device::CmsNodes;
use crate::device::Family;
use crate::f5::lab_device::F5Devices;
use crate::haproxy::lab_device::HaproxyBalancers;
use crate::imp::lab_device::ImpClusters;
use crate::ipvs::lab_device::IpvsDirectors;
use crate::xop::lab_device::XopServers;

/// Every family; the first is what `uccluster-lab` starts one of when told nothing.
pub const FAMILIES: &[Family] = &[
    Family::of::<CmsNodes>(),
    Family::of::<XopServers>(),
    Family::of::<F5Devices>(),
    Family::of::<HaproxyBalancers>(),
    Family::of::<IpvsDirectors>(),
    Family::of::<CgpMembers>(),
    Family::of::<ImpClusters>(),
];

/// The family whose spec key is `key`.
pub fn family(key: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.key == key)
}

#[cfg(test)]
mod tests;
