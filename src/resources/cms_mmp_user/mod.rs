//! `cms_mmp_user`: one MMP user account of a Cisco Meeting Server node, such as the user with
//! the `appadmin` role that the REST API needs.
//!
//! Procedure (seed cms-failover-cluster-part2a, Web Bridge section: "create a user with appadmin
//! role"; Cisco Meeting Server MMP Command Line Reference, "MMP User Account Commands"):
//! `user add <name> <role>` asks for the password twice; `user list` shows every user with its
//! role; `user role <name> <role>` changes the role; `user password <name>` asks for a new
//! password twice; `user del <name>` removes the user. MMP users are local to each node (the
//! database cluster does not replicate them), so one resource is one user on one node.
//!
//! Drift: the role is read back from `user list`, so a role changed on the node shows in the
//! plan and the apply sets it back; a user deleted on the node leaves the state (the plan shows
//! a create). The MMP never shows a password: the state keeps the configured one, a password
//! changed on the node is not seen, and a password changed in the configuration runs `user
//! password`. After an import the password is null, so the first plan shows an update that sets
//! it (`user password`), and the plan after that apply is empty.
//!
//! The user the provider logs in as (`mmp_username`, else the provider's `username`) is refused
//! at plan time and again before every change: deleting it, or changing its role or password,
//! would lock Terraform out of the node.

mod attributes;

use crate::backoff::retry;
use crate::client::{Devices, NodeConnection, PromptAnswer, ShellSession, SshTarget};
use crate::devices::cms::users::{
    add_command, del_command, parse_user_list, password_command, role_command, validate_user_name,
    LIST_COMMAND, PASSWORD_AGAIN_QUESTION, PASSWORD_QUESTION,
};
use crate::resources::adapter::{unreadable, Change, DeviceResource, Observed, Outcome, Refusal};
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::mmp_command::{run_mmp, run_mmp_listing};
use crate::resources::node_connection::{import_node, NodeAttributes};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use crate::resources::values::{known, text};
use crate::timeouts::Timeouts;
use attributes::SPEC;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tf_provider::value::{self, Value, ValueEmpty, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

/// Attempts per idempotent step when the connection drops or cannot be made.
const STEP_ATTEMPTS: u32 = 4;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MmpUserState<'a> {
    pub id: ValueString<'a>,
    pub name: ValueString<'a>,
    pub role: ValueString<'a>,
    pub password: ValueString<'a>,
    pub address: ValueString<'a>,
    pub ssh_port: ValueNumber,
    pub mmp_username: ValueString<'a>,
    pub mmp_password: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

pub struct MmpUserResource {
    devices: Arc<Devices>,
}

fn connection(state: &MmpUserState<'_>) -> NodeConnection {
    NodeAttributes {
        address: &state.address,
        ssh_port: &state.ssh_port,
        username: &state.mmp_username,
        password: &state.mmp_password,
        host_key_fingerprint: &state.host_key_fingerprint,
    }
    .connection()
}

/// The import ID that names user `name` on `node`.
fn import_id(name: &str, node: &NodeConnection) -> ImportId {
    ImportId {
        name: Some(name.to_string()),
        nodes: vec![import_node(node)],
        settings: vec![],
    }
}

/// `<name>@<node>`: the resource's id, which is also its import ID.
fn id_of(state: &MmpUserState<'_>) -> String {
    import_id(&text(&state.name).unwrap_or_default(), &connection(state)).to_string()
}

const IMPORT_ID: ImportShape = ImportShape {
    name: Some(validate_user_name),
    labels: None,
    min_nodes: 1,
    max_nodes: 1,
    settings: &[],
    usage: "<name>@<node>, the node's MMP as host, host:port or [ipv6]:port, e.g. api@10.0.0.1 or api@10.0.0.1:2222",
};

fn name_path() -> AttributePath {
    AttributePath::new("name")
}

/// Why `name` cannot be managed when the provider logs in to the node as `login`.
fn login_user_refusal(name: &str, login: &str) -> Option<String> {
    (name == login).then(|| {
        format!(
            "{name:?} is the MMP user the provider logs in as on this node (mmp_username, else the provider's username): deleting it, or changing its role or password, would lock Terraform out of the node. Manage another user, or log in as another admin user with mmp_username and mmp_password"
        )
    })
}

const LOGIN_USER: &str = "Cannot manage the MMP login user";

/// The answers to the two password questions of `user add` and `user password`.
fn password_answers(password: &str) -> [PromptAnswer; 2] {
    [
        PromptAnswer {
            question: PASSWORD_QUESTION,
            reply: password.to_string(),
        },
        PromptAnswer {
            question: PASSWORD_AGAIN_QUESTION,
            reply: password.to_string(),
        },
    ]
}

/// What the node must hold after a create or an update.
struct Want {
    name: String,
    role: String,
    password: String,
    /// Type the password again for a user that already exists (it changed, or a create whose
    /// `user add` reply was lost).
    set_password: bool,
}

/// The role of user `name` as `user list` shows it; `None` when there is no such user.
async fn find_user(
    session: &mut ShellSession<'_>,
    name: &str,
) -> Result<Option<String>, StepError> {
    let output = run_mmp_listing(session, LIST_COMMAND).await?;
    let users = parse_user_list(&output).map_err(|message| StepError::Output {
        endpoint: session.endpoint(),
        command: LIST_COMMAND.to_string(),
        message,
    })?;
    Ok(users
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, role)| role))
}

/// Make the user exist with the wanted role (and password): check, then act, so a retry after a
/// dropped connection finishes the job instead of adding twice.
async fn ensure_user(session: &mut ShellSession<'_>, want: &Want) -> Result<(), StepError> {
    let answers = password_answers(&want.password);
    match find_user(session, &want.name).await? {
        None => {
            run_mmp(session, &add_command(&want.name, &want.role), &answers).await?;
        }
        Some(role) => {
            if role != want.role {
                run_mmp(session, &role_command(&want.name, &want.role), &[]).await?;
            }
            if want.set_password {
                run_mmp(session, &password_command(&want.name), &answers).await?;
            }
        }
    }
    Ok(())
}

/// Remove the user if the node has it.
async fn ensure_absent(session: &mut ShellSession<'_>, name: &str) -> Result<(), StepError> {
    if find_user(session, name).await?.is_some() {
        run_mmp(session, &del_command(name), &[]).await?;
    }
    Ok(())
}

impl MmpUserResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        MmpUserResource { devices }
    }

    fn target(&self, state: &MmpUserState<'_>) -> Result<SshTarget, StepError> {
        self.devices
            .ssh_target(&connection(state))
            .map_err(StepError::Config)
    }

    /// The user the provider logs in as, once it is known: `mmp_username`, else the provider's
    /// `username` (known after the provider is configured, so at plan time but not at validate).
    fn login_user(&self, config: &MmpUserState<'_>) -> Option<String> {
        match &config.mmp_username {
            Value::Value(login) => Some(login.to_string()),
            Value::Null => self.devices.ssh_settings().ok().map(|s| s.username),
            Value::Unknown => None,
        }
    }

    async fn user_on(&self, target: &SshTarget, name: &str) -> Result<Option<String>, StepError> {
        let mut session = self.devices.mmp(target).await;
        find_user(&mut session, name).await
    }

    async fn ensure_on(&self, target: &SshTarget, want: &Want) -> Result<(), StepError> {
        let mut session = self.devices.mmp(target).await;
        ensure_user(&mut session, want).await
    }

    async fn absent_on(&self, target: &SshTarget, name: &str) -> Result<(), StepError> {
        let mut session = self.devices.mmp(target).await;
        ensure_absent(&mut session, name).await
    }

    /// The role of user `name` on the node, retrying when the connection drops.
    async fn read_role(
        &self,
        target: &SshTarget,
        name: &str,
        deadline: Instant,
    ) -> Result<Option<String>, StepError> {
        retry(STEP_ATTEMPTS, deadline, StepError::is_retryable, |_| {
            self.user_on(target, name)
        })
        .await
    }
}

#[async_trait::async_trait]
impl DeviceResource for MmpUserResource {
    type State<'a> = MmpUserState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "MMP user";

    fn validate(&self, diags: &mut Diagnostics, config: &MmpUserState<'_>) {
        if let (Some(name), Some(login)) = (text(&config.name), text(&config.mmp_username)) {
            if let Some(why) = login_user_refusal(&name, &login) {
                diags.error(LOGIN_USER, why, name_path());
            }
        }
    }

    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        config: &Self::State<'a>,
        _prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        if let (Some(name), Some(login)) = (text(&config.name), self.login_user(config)) {
            if let Some(why) = login_user_refusal(&name, &login) {
                diags.error(LOGIN_USER, why, name_path());
                return None;
            }
        }
        let id = match [&proposed.name, &proposed.address]
            .iter()
            .any(|v| v.is_unknown())
            || proposed.ssh_port.is_unknown()
        {
            true => Value::Unknown,
            false => known(id_of(&proposed)),
        };
        Some(MmpUserState { id, ..proposed })
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let Some(name) = text(&base.name) else {
            return Observed::Unreadable;
        };
        let read = match self.target(base) {
            Ok(target) => self.read_role(&target, &name, deadline).await,
            Err(e) => Err(e),
        };
        match read {
            // The password cannot be read back: it stays what the state has.
            Ok(Some(role)) => Observed::Present(MmpUserState {
                id: known(id_of(base)),
                role: known(role),
                ..base.clone()
            }),
            Ok(None) => Observed::Gone,
            Err(e) => unreadable(
                diags,
                e,
                &format!("MMP user {name}"),
                "Cannot read the MMP user",
            ),
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let name = text(&planned.name).unwrap_or_default();
        let target = self.target(planned).map_err(Refusal::cannot_check)?;
        match self.read_role(&target, &name, deadline).await {
            Ok(None) => Ok(()),
            Ok(Some(role)) => Err(Refusal {
                summary: "MMP user already exists".into(),
                detail: format!(
                    "{} already has an MMP user named {name:?} (role {role})",
                    target.endpoint()
                ),
                path: Some(name_path()),
                import: Some(import_id(&name, &connection(planned))),
            }),
            Err(e) => Err(Refusal::cannot_check(e)),
        }
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let planned = change.planned;
        let failed = match change.prior {
            None => Outcome::Failed,
            // The state keeps the prior password, so the next plan proposes the change again.
            Some(_) => Outcome::FailedKeepingPrior,
        };
        let target = match self.target(planned) {
            Ok(t) => t,
            Err(e) => {
                diags.root_error("Cannot reach the node", e.to_string());
                return Outcome::Refused;
            }
        };
        let name = text(&planned.name).unwrap_or_default();
        if let Some(why) = login_user_refusal(&name, &target.username) {
            diags.error(LOGIN_USER, why, name_path());
            return Outcome::Refused;
        }
        let (Some(role), Some(password)) = (text(&planned.role), text(&planned.password)) else {
            diags.root_error(
                "Cannot configure the MMP user",
                "the role or the password is not known at apply time",
            );
            return failed;
        };
        let set_password = match change.prior {
            None => true,
            Some(prior) => text(&prior.password).as_deref() != Some(password.as_str()),
        };
        let want = Want {
            name,
            role,
            password,
            set_password,
        };
        let done = retry(
            STEP_ATTEMPTS,
            change.deadline,
            StepError::is_retryable,
            |_| self.ensure_on(&target, &want),
        )
        .await;
        match done {
            Ok(()) => Outcome::Done,
            Err(e) => {
                diags.root_error("Cannot configure the MMP user", e.to_string());
                failed
            }
        }
    }

    async fn delete<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: &Self::State<'a>,
        deadline: Instant,
    ) {
        let name = text(&prior.name).unwrap_or_default();
        let target = match self.target(prior) {
            Ok(t) => t,
            Err(e) => {
                diags.root_error("Cannot delete the MMP user", e.to_string());
                return;
            }
        };
        if let Some(why) = login_user_refusal(&name, &target.username) {
            diags.error(LOGIN_USER, why, name_path());
            return;
        }
        let removed = retry(STEP_ATTEMPTS, deadline, StepError::is_retryable, |_| {
            self.absent_on(&target, &name)
        })
        .await;
        if let Err(e) = removed {
            diags.root_error("Cannot delete the MMP user", e.to_string());
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let name = id.name.clone().unwrap_or_default();
        let node = &id.nodes[0];
        let base = MmpUserState {
            name: known(name.clone()),
            address: known(node.address.clone()),
            ssh_port: node
                .port
                .map(|p| Value::Value(i64::from(p)))
                .unwrap_or(Value::Null),
            ..Default::default()
        };
        let summary = format!("Cannot import MMP user {name}");
        let target = match self.target(&base) {
            Ok(t) => t,
            Err(e) => {
                diags.root_error(summary, e.to_string());
                return None;
            }
        };
        if let Some(why) = login_user_refusal(&name, &target.username) {
            diags.root_error(summary, why);
            return None;
        }
        match self.read_role(&target, &name, deadline).await {
            Ok(Some(role)) => Some((
                MmpUserState {
                    id: known(id_of(&base)),
                    role: known(role),
                    // Never shown by the MMP: the first apply sets it (`user password`).
                    password: Value::Null,
                    ..base
                },
                Value::Null,
            )),
            Ok(None) => {
                diags.root_error(
                    summary,
                    format!("{} has no MMP user named {name}", target.endpoint()),
                );
                None
            }
            Err(e) => {
                diags.root_error(
                    summary,
                    format!("node {} cannot be read: {e}", node.endpoint()),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Settings, SshSettings};
    use crate::devices::cms::prompt::MmpPrompt;
    use std::time::Duration;

    fn state(name: &str, port: Option<i64>) -> MmpUserState<'static> {
        MmpUserState {
            name: known(name),
            role: known("appadmin"),
            password: known("s3cret-pass"),
            address: known("10.0.0.1"),
            ssh_port: port.map(Value::Value).unwrap_or(Value::Null),
            ..Default::default()
        }
    }

    fn resource(provider_username: Option<&str>) -> MmpUserResource {
        let devices = Devices::new(&MmpPrompt);
        if let Some(username) = provider_username {
            devices.configure(Settings {
                ssh: SshSettings {
                    username: username.into(),
                    password: Some("provider-pw".into()),
                    private_key: None,
                    port: 22,
                    known_hosts_file: "/kh".into(),
                    insecure_skip_host_key_check: false,
                    connect_timeout: Duration::from_secs(5),
                    command_timeout: Duration::from_secs(5),
                },
                sql: None,
                api: None,
                cms_facts: Default::default(),
            });
        }
        MmpUserResource::new(Arc::new(devices))
    }

    fn plan(r: &MmpUserResource, config: &MmpUserState<'static>) -> (Option<String>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let planned = r.plan(&mut diags, config.clone(), config, None);
        (planned.and_then(|p| text(&p.id)), diags)
    }

    #[test]
    fn the_id_is_the_import_id() {
        assert_eq!(id_of(&state("api", None)), "api@10.0.0.1");
        assert_eq!(id_of(&state("api", Some(2222))), "api@10.0.0.1:2222");
        let parsed = IMPORT_ID.parse("api@10.0.0.1:2222").unwrap();
        assert_eq!(parsed.to_string(), id_of(&state("api", Some(2222))));
        assert!(IMPORT_ID.parse("api@10.0.0.1,10.0.0.2").is_err());
        assert!(IMPORT_ID.parse("10.0.0.1").is_err());
        assert!(IMPORT_ID.parse("a b@10.0.0.1").is_err());
    }

    #[test]
    fn the_plan_computes_the_id() {
        let (id, diags) = plan(&resource(Some("admin")), &state("api", Some(2222)));
        assert!(diags.errors.is_empty(), "{:?}", diags.errors);
        assert_eq!(id.as_deref(), Some("api@10.0.0.1:2222"));
        let mut unknown_port = state("api", None);
        unknown_port.ssh_port = Value::Unknown;
        let mut diags = Diagnostics::default();
        let planned = resource(Some("admin"))
            .plan(&mut diags, unknown_port.clone(), &unknown_port, None)
            .unwrap();
        assert!(planned.id.is_unknown());
    }

    #[test]
    fn the_login_user_is_refused_at_plan() {
        // The provider's username, once the provider is configured.
        let (_, diags) = plan(&resource(Some("admin")), &state("admin", None));
        let errors = format!("{:?}", diags.errors);
        assert!(errors.contains(LOGIN_USER), "{errors}");
        assert!(errors.contains("would lock Terraform out"), "{errors}");
        // mmp_username wins over the provider's username.
        let mut ops = state("admin", None);
        ops.mmp_username = known("ops");
        let (id, diags) = plan(&resource(Some("admin")), &ops);
        assert!(diags.errors.is_empty() && id.is_some());
        let mut own = state("ops", None);
        own.mmp_username = known("ops");
        let (_, diags) = plan(&resource(Some("admin")), &own);
        assert_eq!(diags.errors.len(), 1);
        // Without a configured provider (terraform validate), mmp_username alone is checked.
        let mut diags = Diagnostics::default();
        resource(None).validate(&mut diags, &own);
        assert_eq!(diags.errors.len(), 1);
        let mut diags = Diagnostics::default();
        resource(None).validate(&mut diags, &state("admin", None));
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn both_password_questions_are_answered_with_the_password() {
        let answers = password_answers("pw 1");
        assert_eq!(answers.len(), 2);
        assert!(answers.iter().all(|a| a.reply == "pw 1"));
        // Each question matches its own prompt only (the simulator's and the documented wording).
        let first = "Please enter new password: ".to_lowercase();
        let again = "Please enter new password again: ".to_lowercase();
        assert!(first.contains(answers[0].question) && !first.contains(answers[1].question));
        assert!(again.contains(answers[1].question) && !again.contains(answers[0].question));
    }
}
