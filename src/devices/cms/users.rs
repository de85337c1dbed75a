//! MMP user accounts: `user list`, `user add <name> <role>` and `user password <name>` (each
//! asking for the password twice), `user role <name> <role>`, `user del <name>`.
//!
//! Sources: Cisco Meeting Server "MMP Command Line Reference", "MMP User Account Commands"
//! (the roles `admin`, `crypto`, `audit`, `appadmin`, `api`; `user add <username> <role>` asks
//! for the password, entered twice; `user del`; `user list` shows each user's role); seed
//! cms-failover-cluster-part2a ("create a user with appadmin role" for the REST API).
//!
//! Unconfirmed (the one table of guesses is here): the prompt wording and the `user list`
//! layout (a header row, then whitespace-separated name and role first), and `user role`.

/// Roles an MMP user may have (MMP Command Line Reference).
pub const ROLES: [&str; 5] = ["admin", "crypto", "audit", "appadmin", "api"];

pub const LIST_COMMAND: &str = "user list";

/// The two password questions, matched inside the device's prompt lines [unconfirmed wording:
/// "Please enter new password:" / "Please enter new password again:"].
pub const PASSWORD_QUESTION: &str = "enter new password:";
pub const PASSWORD_AGAIN_QUESTION: &str = "password again";

/// The header row of `user list` starts with this word [unconfirmed].
const LIST_HEADER_FIRST_WORD: &str = "username";

pub fn add_command(name: &str, role: &str) -> String {
    format!("user add {name} {role}")
}

pub fn password_command(name: &str) -> String {
    format!("user password {name}")
}

/// [unconfirmed: the reference lists roles per user; changing one in place is our reading].
pub fn role_command(name: &str, role: &str) -> String {
    format!("user role {name} {role}")
}

pub fn del_command(name: &str) -> String {
    format!("user del {name}")
}

/// A user name the MMP takes as one word: letters, digits, `.`, `_`, `-`, at most 32, not
/// starting with `-` (`user add -x appadmin` would read it as an option).
pub fn validate_user_name(name: &str) -> Result<(), String> {
    crate::grammar::check_word(name, 32)?;
    match name.starts_with('-') {
        true => Err("must not start with '-'".into()),
        false => Ok(()),
    }
}

pub fn validate_role(role: &str) -> Result<(), String> {
    match ROLES.contains(&role) {
        true => Ok(()),
        false => Err(format!(
            "{role:?} is not an MMP role; use one of {}",
            ROLES.join(", ")
        )),
    }
}

/// A password typed at the prompts: one line, no control characters, not empty.
pub fn validate_password(password: &str) -> Result<(), String> {
    if password.is_empty() {
        return Err("must not be empty".into());
    }
    if password.chars().any(char::is_control) {
        return Err("must not contain control characters (it is typed at a prompt)".into());
    }
    Ok(())
}

/// `(name, role)` of every user `user list` shows.
pub fn parse_user_list(output: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = output.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next().unwrap_or_default();
    if !header
        .to_ascii_lowercase()
        .starts_with(LIST_HEADER_FIRST_WORD)
    {
        return Err(format!("expected a header row, got {header:?}"));
    }
    lines
        .map(|line| {
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some(name), Some(role)) => Ok((name.to_string(), role.to_string())),
                _ => Err(format!("a user row without a role: {line:?}")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_rows_are_name_and_role() {
        let out = "Username         Role       Expiry   Logged in\r\nadmin            admin      -        yes\napi              appadmin   -        no\n";
        assert_eq!(
            parse_user_list(out).unwrap(),
            vec![
                ("admin".to_string(), "admin".to_string()),
                ("api".to_string(), "appadmin".to_string())
            ]
        );
        assert!(parse_user_list("FAILURE: x").is_err());
        assert!(parse_user_list("Username Role\nlonely\n").is_err());
    }

    #[test]
    fn grammar() {
        assert!(validate_user_name("api_user-1").is_ok());
        assert!(validate_user_name("api user").is_err());
        assert!(validate_user_name("-api").is_err());
        assert!(validate_user_name(&"a".repeat(33)).is_err());
        assert!(validate_role("appadmin").is_ok());
        assert!(validate_role("root").is_err());
        assert!(validate_password("s3cret with space").is_ok());
        assert!(validate_password("a\nb").is_err());
        assert!(validate_password("").is_err());
    }
}
