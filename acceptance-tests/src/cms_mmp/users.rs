//! MMP user accounts: `user list|add|del|role|password` and the user accessors of
//! [`NodeControl`].
//!
//! Sources: Cisco Meeting Server "MMP Command Line Reference", section "MMP User Account
//! Commands": the roles `admin`, `crypto`, `audit`, `appadmin`, `api`; `user add <username>
//! (admin|crypto|audit|appadmin|api)` prompts for the password, which must be entered twice;
//! `user del <username>`; `user list` shows each user's role, password expiry date and whether
//! they are logged in. Deployment guide section 3.1 "Creating and managing MMP and Web Admin
//! interface user accounts".
//!
//! | command | output |
//! |---|---|
//! | `user list` | [`LIST_HEADER`], then one row per user, sorted by name: name, role, expiry `-`, logged in `yes`/`no` |
//! | `user add <name> <role>` | [`PASSWORD_PROMPT`], [`PASSWORD_AGAIN_PROMPT`] (both read without echo, never logged), then nothing |
//! | `user del <name>` | nothing |
//! | `user role <name> <role>` | nothing [GUESS: command and output] |
//! | `user password <name>` | the two prompts, then nothing |
//!
//! Failures: `FAILURE: passwords do not match`, `FAILURE: user <name> already exists`, `FAILURE:
//! user <name> does not exist` (the wire contract); `FAILURE: invalid role <role>`, `FAILURE:
//! invalid username <name>`, `FAILURE: password must not be empty`, `FAILURE: user <name> cannot
//! be deleted` and `FAILURE: user <name> must keep the admin role` (the login user) are [GUESS].
//!
//! [GUESS]/simulator choices: the real `user list` header reads `USERNAME ROLE PASSWORD EXPIRY
//! LOGGED IN` (a Cisco community example) and shows expiry dates; the simulator prints the
//! provider's contract header and `-`. The login user (the node's configured username) is the
//! only one that may log in over SSH, and `user password <login user>` changes its SSH password.
//! Only the login user shows `yes` under `Logged in`, while it has a session. Password rules
//! (length, history, first-login change) are not simulated.

use std::collections::BTreeMap;

use super::shell::Reply;
use super::state::{lock, NodeControl};

/// MMP user roles (MMP Command Line Reference, "MMP User Account Commands").
pub const ROLES: [&str; 5] = ["admin", "crypto", "audit", "appadmin", "api"];

/// First prompt of `user add` / `user password` (no newline).
pub const PASSWORD_PROMPT: &str = "Please enter new password: ";
/// Second prompt (no newline).
pub const PASSWORD_AGAIN_PROMPT: &str = "Please enter new password again: ";
/// The first line of `user list`.
pub const LIST_HEADER: &str = "Username         Role       Expiry   Logged in";

/// One MMP user. No `Debug`: it holds a password.
#[derive(Clone)]
pub(crate) struct User {
    pub role: String,
    pub password: String,
}

/// Whose password the two prompts set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordFor {
    /// `user add <name> <role>`.
    NewUser { name: String, role: String },
    /// `user password <name>`.
    User { name: String },
}

fn one(line: impl Into<String>) -> Reply {
    Reply::Lines(vec![line.into()])
}

fn nothing() -> Reply {
    Reply::Lines(Vec::new())
}

/// User names accepted: `[A-Za-z0-9._-]{1,32}` [GUESS: MMP limits undocumented].
pub fn valid_username(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub fn valid_role(role: &str) -> bool {
    ROLES.contains(&role)
}

fn does_not_exist(name: &str) -> Reply {
    one(format!("FAILURE: user {name} does not exist"))
}

/// `<name>` must be a valid user name (checked before anything else).
fn check_name(name: &str) -> Result<(), Reply> {
    if valid_username(name) {
        Ok(())
    } else {
        Err(one(format!("FAILURE: invalid username {name}")))
    }
}

fn check_role(role: &str) -> Result<(), Reply> {
    if valid_role(role) {
        Ok(())
    } else {
        Err(one(format!("FAILURE: invalid role {role}")))
    }
}

/// Runs `user <args>`; `None` for an unknown sub-command.
pub fn run(node: &NodeControl, args: &[&str]) -> Option<Reply> {
    let result = match args {
        ["list", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: user list"));
            }
            Ok(Reply::Lines(list(node)))
        }
        ["add", rest @ ..] => {
            let [name, role] = rest else {
                return Some(one(
                    "Usage: user add <username> (admin|crypto|audit|appadmin|api)",
                ));
            };
            check_name(name).and_then(|()| check_role(role)).map(|()| {
                if node.user_password(name).is_some() {
                    one(format!("FAILURE: user {name} already exists"))
                } else {
                    Reply::AskPasswords {
                        action: PasswordFor::NewUser {
                            name: name.to_string(),
                            role: role.to_string(),
                        },
                    }
                }
            })
        }
        ["del", rest @ ..] => {
            let [name] = rest else {
                return Some(one("Usage: user del <username>"));
            };
            check_name(name).map(|()| {
                if *name == node.inner.username {
                    one(format!("FAILURE: user {name} cannot be deleted"))
                } else if node.remove_user(name) {
                    nothing()
                } else {
                    does_not_exist(name)
                }
            })
        }
        ["role", rest @ ..] => {
            let [name, role] = rest else {
                return Some(one(
                    "Usage: user role <username> (admin|crypto|audit|appadmin|api)",
                ));
            };
            check_name(name).and_then(|()| check_role(role)).map(|()| {
                if *name == node.inner.username && *role != "admin" {
                    return one(format!("FAILURE: user {name} must keep the admin role"));
                }
                node.with_users(|users| match users.get_mut(*name) {
                    Some(u) => {
                        u.role = role.to_string();
                        nothing()
                    }
                    None => does_not_exist(name),
                })
            })
        }
        ["password", rest @ ..] => {
            let [name] = rest else {
                return Some(one("Usage: user password <username>"));
            };
            check_name(name).map(|()| {
                if node.user_password(name).is_none() {
                    does_not_exist(name)
                } else {
                    Reply::AskPasswords {
                        action: PasswordFor::User {
                            name: name.to_string(),
                        },
                    }
                }
            })
        }
        _ => return None,
    };
    Some(result.unwrap_or_else(|r| r))
}

/// `user list`: the header and one row per user.
fn list(node: &NodeControl) -> Vec<String> {
    let logged_in = node.active_sessions() > 0;
    let mut lines = vec![LIST_HEADER.to_string()];
    for (name, role) in node.users() {
        let on = if logged_in && name == node.inner.username {
            "yes"
        } else {
            "no"
        };
        lines.push(format!("{name:<16} {role:<10} {:<8} {on}", "-"));
    }
    lines
}

/// Second half of `user add` / `user password`: the two passwords typed at the prompts. They
/// are stored exactly as typed (without the line ending).
pub fn set_password(
    node: &NodeControl,
    action: &PasswordFor,
    first: &str,
    second: &str,
) -> Vec<String> {
    if first != second {
        return vec!["FAILURE: passwords do not match".to_string()];
    }
    if first.is_empty() {
        return vec!["FAILURE: password must not be empty".to_string()];
    }
    node.with_users(|users| match action {
        PasswordFor::NewUser { name, role } => {
            if users.contains_key(name) {
                return vec![format!("FAILURE: user {name} already exists")];
            }
            users.insert(
                name.clone(),
                User {
                    role: role.clone(),
                    password: first.to_string(),
                },
            );
            Vec::new()
        }
        PasswordFor::User { name } => match users.get_mut(name) {
            Some(u) => {
                u.password = first.to_string();
                Vec::new()
            }
            None => vec![format!("FAILURE: user {name} does not exist")],
        },
    })
}

/// MMP users, for tests.
impl NodeControl {
    pub(crate) fn with_users<R>(&self, f: impl FnOnce(&mut BTreeMap<String, User>) -> R) -> R {
        f(&mut lock(&self.inner.users))
    }

    /// MMP users as `(name, role)`, sorted by name; the login user is one of them (`admin`).
    pub fn users(&self) -> Vec<(String, String)> {
        self.with_users(|users| {
            users
                .iter()
                .map(|(n, u)| (n.clone(), u.role.clone()))
                .collect()
        })
    }

    /// The password of user `name`, `None` if there is no such user.
    pub fn user_password(&self, name: &str) -> Option<String> {
        self.with_users(|users| users.get(name).map(|u| u.password.clone()))
    }

    /// Whether user `name` exists and has password `password`.
    pub fn check_user_password(&self, name: &str, password: &str) -> bool {
        self.user_password(name).is_some_and(|p| p == password)
    }

    /// Adds (or overwrites) a user behind terraform's back.
    ///
    /// Panics on a role that is not one of [`ROLES`] (a test bug).
    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        assert!(valid_role(role), "add_user: invalid MMP role {role:?}");
        self.with_users(|users| {
            users.insert(
                name.to_string(),
                User {
                    role: role.to_string(),
                    password: password.to_string(),
                },
            )
        });
    }

    /// Removes a user behind terraform's back; `false` if there was none. The login user
    /// cannot be removed (`false`).
    pub fn remove_user(&self, name: &str) -> bool {
        if name == self.inner.username {
            return false;
        }
        self.with_users(|users| users.remove(name).is_some())
    }
}
