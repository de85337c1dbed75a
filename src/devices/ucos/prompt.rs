//! The UCOS platform CLI prompt (Cisco CUCM and IM and Presence OS administration over SSH):
//! after the "Welcome to the Platform Command Line Interface" banner the CLI prompts `admin:`,
//! whatever the administrator's name ("Command Line Interface Reference Guide for Cisco Unified
//! Communications Solutions": every example is typed at `admin:`).

use crate::transport::interactive_shell::{pending_line, PromptGrammar};

/// The grammar of the UCOS `admin:` prompt, for the interactive-shell transport.
pub struct UcosPrompt;

const PROMPT: &str = "admin:";

impl PromptGrammar for UcosPrompt {
    fn detect(&self, text: &str) -> Option<(String, String)> {
        let line = pending_line(text);
        (line.trim_end() == PROMPT).then(|| {
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
    use crate::transport::interactive_shell::split_at_prompt;

    /// What an IM&P publisher prints on login (captured form of the documented start-up).
    const LOGIN: &str = "Command Line Interface is starting up, please wait ...\n\n   \
        Welcome to the Platform Command Line Interface\n\nVMware Installation:\n\t\
        2 vCPU: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\n\tDisk 1: 110GB\n\t8192 Mbytes RAM\n\n\
        admin:";

    #[test]
    fn the_prompt_is_recognised_after_the_banner() {
        let (before, prompt) = UcosPrompt.detect(LOGIN).unwrap();
        assert_eq!(prompt, "admin:");
        assert!(before.ends_with("8192 Mbytes RAM\n\n"), "{before:?}");
        assert_eq!(
            UcosPrompt.detect("x\nadmin: ").map(|(_, p)| p).as_deref(),
            Some("admin: ")
        );
    }

    #[test]
    fn other_lines_are_not_the_prompt() {
        for text in [
            "Command Line Interface is starting up, please wait ...",
            "admin:show status",
            "xadmin:",
            "Enter admin:",
            "admin:\n",
            "Continue (y/n)?",
            "cms1> ",
        ] {
            assert!(UcosPrompt.detect(text).is_none(), "{text:?}");
        }
    }

    /// A command's output ends where the learned prompt comes back.
    #[test]
    fn output_ends_at_the_prompt() {
        let (_, prompt) = UcosPrompt.detect(LOGIN).unwrap();
        let raw =
            "show network cluster\n10.0.0.1 imp1.lab Publisher cups DBPub authenticated\n\nadmin:";
        assert_eq!(
            split_at_prompt(raw, &prompt).as_deref(),
            Some("show network cluster\n10.0.0.1 imp1.lab Publisher cups DBPub authenticated\n\n")
        );
    }
}
