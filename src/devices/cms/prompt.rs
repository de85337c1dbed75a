//! The MMP prompt: `<hostname>> ` alone on the last line (Cisco Meeting Server MMP command
//! reference: the prompt is the host name followed by `>`).

use crate::transport::interactive_shell::{pending_line, PromptGrammar};

/// The grammar of the MMP's `<hostname>> ` prompt, for the interactive-shell transport.
pub struct MmpPrompt;

impl PromptGrammar for MmpPrompt {
    fn detect(&self, text: &str) -> Option<(String, String)> {
        let line = pending_line(text);
        let name = line.trim_end().strip_suffix('>')?;
        let is_host = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        is_host.then(|| {
            (
                text[..text.len() - line.len()].to_string(),
                line.to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_is_recognised_after_a_banner() {
        let (before, prompt) = MmpPrompt.detect("Welcome to CMS\ncms1> ").unwrap();
        assert_eq!(
            (before.as_str(), prompt.as_str()),
            ("Welcome to CMS\n", "cms1> ")
        );
        assert!(MmpPrompt.detect("Secret : abc").is_none());
        assert!(MmpPrompt.detect("a b> ").is_none());
        assert!(MmpPrompt.detect("loading...").is_none());
    }

    #[test]
    fn only_a_host_name_makes_a_prompt() {
        assert!(MmpPrompt.detect("> ").is_none());
        assert!(MmpPrompt.detect(&format!("{}> ", "a".repeat(65))).is_none());
        assert!(MmpPrompt.detect("cms1> \nmore output").is_none());
        assert_eq!(
            MmpPrompt.detect("cms-1.lab_a>").map(|(_, p)| p).as_deref(),
            Some("cms-1.lab_a>")
        );
    }
}
