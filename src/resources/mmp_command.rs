//! Running one MMP command for a resource step, turning device failure text into an error that
//! names the device, the command and the device's own words.

use crate::client::{PromptAnswer, ShellSession};
use crate::devices::cms::mmp_output::device_error;
use crate::resources::step::StepError;

/// Run `command` and fail with the device's message if the MMP reports an error.
pub async fn run_mmp(
    session: &mut ShellSession<'_>,
    command: &str,
    answers: &[PromptAnswer],
) -> Result<String, StepError> {
    let output = session.run(command, answers).await?;
    mmp_result(session, command, output)
}

/// [`run_mmp`] for a listing shared by every resource on the device
/// ([`ShellSession::run_shared_read`]).
pub async fn run_mmp_listing(
    session: &mut ShellSession<'_>,
    command: &str,
) -> Result<String, StepError> {
    let output = session.run_shared_read(command).await?;
    mmp_result(session, command, output)
}

fn mmp_result(
    session: &ShellSession<'_>,
    command: &str,
    output: String,
) -> Result<String, StepError> {
    match device_error(&output) {
        Some(message) => Err(StepError::Device {
            endpoint: session.endpoint(),
            command: command.to_string(),
            message,
        }),
        None => Ok(output),
    }
}
