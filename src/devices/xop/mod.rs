//! XOP Networks servers: Linux appliances whose HA is MySQL/MariaDB replication configured by
//! hand (seed xop-mysql-replication-ha): options in /etc/my.cnf, a replication user, binlog
//! coordinates, CHANGE MASTER, START SLAVE.

pub mod firewall;
pub mod my_cnf;
pub mod option_values;
pub mod replication;
pub mod resync;
pub mod sysconf;
