//! Cisco UCOS (the appliance OS under CUCM and IM and Presence): its platform admin CLI.

pub mod prompt;
