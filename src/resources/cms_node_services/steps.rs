//! The MMP steps of one service on one node, each checked before it acts: upload the files
//! that differ, read the status, run only the commands whose setting differs, in the seed's
//! order, and restart the service only when something changed.

use super::state::{Settings, CERTS_CURRENT, CERTS_NONE, CERTS_OTHER, CERTS_OUTDATED};
use crate::client::ShellSession;
use crate::devices::cms::facts::Facts;
use crate::devices::cms::services::{
    certs_command, domain_command, enable_command, http_redirect_command, listen_command,
    parse_status, restart_commands, trust_command, Field, Service, ServiceStatus,
};
use crate::resources::mmp_command::run_mmp;
use crate::resources::step::StepError;
use std::sync::atomic::{AtomicBool, Ordering};

/// One step of a service's procedure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Listen,
    Certs,
    Trust,
    Domain,
    Redirect,
    /// `enable` (or `disable`), and a restart of a running service that changed.
    Enable,
    /// `callbridge restart` when something changed.
    Restart,
}

/// The seed's order of each service's steps (cms-failover-cluster-part2a).
fn procedure(service: Service) -> &'static [Step] {
    use Step::*;
    match service {
        Service::WebAdmin => &[Listen, Certs, Redirect, Enable],
        Service::CallBridge => &[Certs, Listen, Trust, Restart],
        Service::Xmpp => &[Certs, Listen, Domain, Enable],
        Service::WebBridge => &[Listen, Certs, Redirect, Trust, Enable],
    }
}

/// What a block wants of its service, the PEM files resolved to their content.
#[derive(Clone, Debug)]
pub struct Want {
    pub service: Service,
    pub settings: Settings,
    pub key: String,
    pub certificate: String,
    pub bundle: Option<String>,
    pub trust: Option<String>,
}

impl Want {
    /// (stable file name, content) of every file the block uploads, the trust bundle last.
    fn uploads(&self) -> Vec<(String, &str)> {
        let [key, cert, bundle] = self.service.cert_files();
        let mut files = vec![(key, self.key.as_str()), (cert, self.certificate.as_str())];
        if let Some(b) = &self.bundle {
            files.push((bundle, b));
        }
        if let Some(t) = &self.trust {
            files.push((self.service.trust_file(), t));
        }
        files
    }

    /// Whether `status` points at this block's stable file names, and only those.
    fn names_match(&self, status: &ServiceStatus) -> bool {
        let [key, cert, bundle] = self.service.cert_files();
        let trust = self.service.trust_file();
        status.get(Field::KeyFile) == Some(key.as_str())
            && status.get(Field::CertificateFile) == Some(cert.as_str())
            && status.get(Field::BundleFile) == self.bundle.as_ref().map(|_| bundle.as_str())
            && status.get(Field::TrustFile) == self.trust.as_ref().map(|_| trust.as_str())
    }
}

/// The service's status.
pub async fn read_status(
    session: &mut ShellSession<'_>,
    facts: &Facts,
    service: Service,
) -> Result<ServiceStatus, StepError> {
    let command = service.word();
    let output = run_mmp(session, command, &[]).await?;
    parse_status(facts, service, &output).map_err(|message| StepError::Output {
        endpoint: session.endpoint(),
        command: command.to_string(),
        message,
    })
}

/// Whether anything of the service is configured (then a create would take it over).
pub fn is_configured(service: Service, status: &ServiceStatus) -> bool {
    status.flag(Field::Enabled)
        || !status.listen_words().is_empty()
        || status.get(Field::KeyFile).is_some()
        || (service == Service::CallBridge && status.get(Field::TrustFile).is_some())
}

/// `current`, `outdated` (our files, other content), `other` (other files) or `none`.
pub async fn certificates_state(
    session: &mut ShellSession<'_>,
    want: &Want,
    status: &ServiceStatus,
) -> Result<&'static str, StepError> {
    if status.get(Field::KeyFile).is_none() && status.get(Field::CertificateFile).is_none() {
        return Ok(CERTS_NONE);
    }
    if !want.names_match(status) {
        return Ok(CERTS_OTHER);
    }
    for (name, content) in want.uploads() {
        if session.read_file(&name).await?.as_deref() != Some(content.as_bytes()) {
            return Ok(CERTS_OUTDATED);
        }
    }
    Ok(CERTS_CURRENT)
}

/// The content of every file `status` names: key, certificate, bundle, trust (for import).
pub async fn download(
    session: &mut ShellSession<'_>,
    status: &ServiceStatus,
) -> Result<[Option<String>; 4], StepError> {
    let mut out: [Option<String>; 4] = Default::default();
    let fields = [
        Field::KeyFile,
        Field::CertificateFile,
        Field::BundleFile,
        Field::TrustFile,
    ];
    for (slot, field) in out.iter_mut().zip(fields) {
        if let Some(name) = status.get(field) {
            *slot = session
                .read_file(name)
                .await?
                .map(|b| String::from_utf8_lossy(&b).into_owned());
        }
    }
    Ok(out)
}

/// The marker of Call Bridge settings not yet applied by a restart: written before its first
/// change, removed after the restart, so a restart an apply never reached is seen by the next.
const RESTART_PENDING_FILE: &str = "uccluster-callbridge-restart-pending";

/// Whether `service` has settings waiting for a restart (only the Call Bridge does).
pub async fn restart_pending(
    session: &mut ShellSession<'_>,
    service: Service,
) -> Result<bool, StepError> {
    match service {
        Service::CallBridge => Ok(session.read_file(RESTART_PENDING_FILE).await?.is_some()),
        _ => Ok(false),
    }
}

/// Run `command`, remembering that the service changed (for the Call Bridge, on the node too).
async fn change(
    session: &mut ShellSession<'_>,
    service: Service,
    command: &str,
    changed: &AtomicBool,
) -> Result<(), StepError> {
    if service == Service::CallBridge && !changed.load(Ordering::SeqCst) {
        let note =
            b"Call Bridge settings changed by uccluster; `callbridge restart` applies them\n";
        session.write_file(RESTART_PENDING_FILE, note).await?;
    }
    changed.store(true, Ordering::SeqCst);
    run_mmp(session, command, &[]).await.map(|_| ())
}

/// Bring the service to `want`. `changed` outlives a retry after a dropped connection: a change
/// made before the drop still gets its restart.
pub async fn apply(
    session: &mut ShellSession<'_>,
    facts: &Facts,
    want: &Want,
    changed: &AtomicBool,
) -> Result<(), StepError> {
    let service = want.service;
    let (mut certs_uploaded, mut trust_uploaded) = (false, false);
    let trust_name = service.trust_file();
    for (name, content) in want.uploads() {
        if session.read_file(&name).await?.as_deref() != Some(content.as_bytes()) {
            session.write_file(&name, content.as_bytes()).await?;
            match name == trust_name {
                true => trust_uploaded = true,
                false => certs_uploaded = true,
            }
        }
    }
    if restart_pending(session, service).await? {
        changed.store(true, Ordering::SeqCst);
    }
    let status = read_status(session, facts, service).await?;
    let seen = Settings::from_status(service, &status);
    let wanted = &want.settings;
    let [key, cert, bundle] = service.cert_files();
    for step in procedure(service) {
        match step {
            Step::Listen if seen.listen != wanted.listen => {
                change(
                    session,
                    service,
                    &listen_command(facts, service, &wanted.listen),
                    changed,
                )
                .await?
            }
            Step::Certs
                if certs_uploaded
                    || status.get(Field::KeyFile) != Some(key.as_str())
                    || status.get(Field::CertificateFile) != Some(cert.as_str())
                    || status.get(Field::BundleFile)
                        != want.bundle.as_ref().map(|_| bundle.as_str()) =>
            {
                let files = (
                    key.as_str(),
                    cert.as_str(),
                    want.bundle.as_ref().map(|_| bundle.as_str()),
                );
                change(
                    session,
                    service,
                    &certs_command(facts, service, Some(files)),
                    changed,
                )
                .await?
            }
            Step::Trust => {
                let wanted_trust = want.trust.as_ref().map(|_| trust_name.as_str());
                if trust_uploaded || status.get(Field::TrustFile) != wanted_trust {
                    change(
                        session,
                        service,
                        &trust_command(facts, service, wanted_trust),
                        changed,
                    )
                    .await?
                }
            }
            Step::Domain => {
                if let Some(domain) = &wanted.domain {
                    if seen.domain.as_ref() != Some(domain) {
                        change(session, service, &domain_command(domain), changed).await?
                    }
                }
            }
            Step::Redirect => {
                if let Some(on) = wanted.http_redirect {
                    if seen.http_redirect != Some(on) {
                        change(
                            session,
                            service,
                            &http_redirect_command(service, on),
                            changed,
                        )
                        .await?
                    }
                }
            }
            Step::Enable => match (wanted.enabled, seen.enabled) {
                (Some(true), Some(false)) => {
                    run_mmp(session, &enable_command(service, true), &[]).await?;
                    changed.store(false, Ordering::SeqCst);
                }
                (Some(true), _) if changed.load(Ordering::SeqCst) => {
                    restart(session, service, changed).await?
                }
                (Some(false), Some(true)) => {
                    run_mmp(session, &enable_command(service, false), &[]).await?;
                }
                _ => {}
            },
            Step::Restart if changed.load(Ordering::SeqCst) => {
                restart(session, service, changed).await?
            }
            _ => {}
        }
    }
    Ok(())
}

async fn restart(
    session: &mut ShellSession<'_>,
    service: Service,
    changed: &AtomicBool,
) -> Result<(), StepError> {
    for command in restart_commands(service) {
        run_mmp(session, &command, &[]).await?;
    }
    changed.store(false, Ordering::SeqCst);
    if service == Service::CallBridge {
        session.remove_file(RESTART_PENDING_FILE).await?;
    }
    Ok(())
}

/// Turn port 80's redirect off first when a block wants it off, so another service can take it
/// in the same apply (only one service may redirect port 80; cmslab Web Bridge page).
pub async fn release_redirect(
    session: &mut ShellSession<'_>,
    facts: &Facts,
    want: &Want,
) -> Result<(), StepError> {
    if want.settings.http_redirect != Some(false) {
        return Ok(());
    }
    let status = read_status(session, facts, want.service).await?;
    if status.flag(Field::HttpRedirect) {
        run_mmp(session, &http_redirect_command(want.service, false), &[]).await?;
    }
    Ok(())
}

/// Take the service back to unconfigured: disabled, no redirect, no listen, no certificates, no
/// trust (and a Call Bridge restart to apply that); then remove our files.
pub async fn clear(
    session: &mut ShellSession<'_>,
    facts: &Facts,
    service: Service,
) -> Result<(), StepError> {
    let status = read_status(session, facts, service).await?;
    let mut commands = Vec::new();
    if service.has_enable() && status.flag(Field::Enabled) {
        commands.push(enable_command(service, false));
    }
    if status.flag(Field::HttpRedirect) {
        commands.push(http_redirect_command(service, false));
    }
    if !status.listen_words().is_empty() {
        commands.push(listen_command(facts, service, &[]));
    }
    if status.get(Field::KeyFile).is_some() || status.get(Field::CertificateFile).is_some() {
        commands.push(certs_command(facts, service, None));
    }
    if status.get(Field::TrustFile).is_some() {
        commands.push(trust_command(facts, service, None));
    }
    if service == Service::CallBridge && !commands.is_empty() {
        commands.extend(restart_commands(service));
    }
    for command in commands {
        run_mmp(session, &command, &[]).await?;
    }
    let [key, cert, bundle] = service.cert_files();
    for name in [
        key,
        cert,
        bundle,
        service.trust_file(),
        RESTART_PENDING_FILE.into(),
    ] {
        session.remove_file(&name).await?;
    }
    Ok(())
}
