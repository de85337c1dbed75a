//! The house protocol as a declaration, like terraform-plugin-testing's TestCase and Steps:
//! apply → empty plan → import and compare → change behind Terraform's back → the plan shows
//! exactly that → apply heals → destroy → device clean.
//!
//! A test declares its configuration, the checks after the first apply, the resources to import
//! again (address and ID), its steps (changes behind Terraform's back, new configurations, the
//! plan each must show, what the apply must reach) and the device-clean check; [`Protocol::run`]
//! runs them in that order. The checks are futures, so they borrow the test's lab and run only
//! when their step comes. Every failure names its step.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures::FutureExt;

use crate::tf::Tf;

/// A check or a change on the lab, run when its step comes.
pub type Hook<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Runs `work` to its end: its value, or the message of the assertion (panic) that failed it.
pub async fn failure_of<T>(work: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(a panic without a message)".into())
        })
}

/// Runs `work`; a failure in it fails with `step` named first.
pub(crate) async fn in_step<T>(step: &str, work: impl Future<Output = T>) -> T {
    failure_of(work)
        .await
        .unwrap_or_else(|message| panic!("step `{step}`: {message}"))
}

/// What a plan must show.
#[derive(Default)]
pub struct Plan {
    /// The exit code of `plan -detailed-exitcode` (2: changes), when it matters.
    exit: Option<i32>,
    /// Resources and their planned actions (`update`, `create`, ...); with any, every other
    /// resource must plan no change.
    actions: Vec<(String, &'static str)>,
    /// Texts the plan prints (matched with whitespace runs collapsed, see `TfOut::text`).
    shows: Vec<String>,
}

impl Plan {
    /// A plan with changes (exit code 2).
    pub fn changes() -> Plan {
        Plan {
            exit: Some(2),
            ..Plan::default()
        }
    }

    /// A plan whose exit code is not checked, only what it prints.
    pub fn any() -> Plan {
        Plan::default()
    }

    /// `address` is updated in place, and no other resource changes.
    pub fn update(self, address: &str) -> Plan {
        self.action(address, "update")
    }

    /// `address` is created, and no other resource changes.
    pub fn create(self, address: &str) -> Plan {
        self.action(address, "create")
    }

    fn action(mut self, address: &str, action: &'static str) -> Plan {
        self.actions.push((address.to_string(), action));
        self
    }

    /// The plan prints `text` (an attribute's change, a warning naming a node, a summary).
    pub fn shows(mut self, text: impl Into<String>) -> Plan {
        self.shows.push(text.into());
        self
    }

    /// Plans in `tf` and checks the plan against this expectation.
    pub async fn check(&self, tf: &Tf) {
        let out = tf
            .run(&[
                "plan",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
                "-out=step.tfplan",
            ])
            .await;
        if let Some(exit) = self.exit {
            assert_eq!(out.code, exit, "plan exit code:\n{}", out.all());
        }
        let text = out.text();
        for shown in &self.shows {
            assert!(
                text.contains(shown.as_str()),
                "the plan does not show {shown:?}:\n{}",
                out.all()
            );
        }
        if self.actions.is_empty() {
            return;
        }
        for change in tf.planned_changes("step.tfplan").await {
            let address = change["address"].as_str().unwrap_or_default();
            let actions = &change["change"]["actions"];
            let expected = self
                .actions
                .iter()
                .find(|(a, _)| a == address)
                .map_or("no-op", |(_, action)| *action);
            assert_eq!(
                *actions,
                serde_json::json!([expected]),
                "planned actions of {address}:\n{}",
                out.all()
            );
        }
    }
}

/// One step after the import: in this order, what happens first (a change behind Terraform's
/// back, or a test's preparation), a new configuration, the plan it must show, the apply and
/// what it must reach, and an empty plan after it.
pub struct Step<'a> {
    name: String,
    before: Option<Hook<'a>>,
    config: Option<String>,
    plan: Option<Plan>,
    apply: Option<Hook<'a>>,
    empty_plan: bool,
}

impl<'a> Step<'a> {
    /// A step named `name` that does nothing yet.
    pub fn new(name: impl Into<String>) -> Step<'a> {
        Step {
            name: name.into(),
            before: None,
            config: None,
            plan: None,
            apply: None,
            empty_plan: false,
        }
    }

    /// `change` made on the devices behind Terraform's back.
    pub fn drift(name: impl Into<String>, change: impl Future<Output = ()> + 'a) -> Step<'a> {
        Step::new(format!("drift: {}", name.into())).before(change)
    }

    /// The apply heals: it succeeds, `check` holds, and the plan after it is empty.
    pub fn heal(check: impl Future<Output = ()> + 'a) -> Step<'a> {
        Step::new("apply heals").apply(check).empty_plan()
    }

    /// `work` runs first (a change behind Terraform's back, or checks and preparation).
    pub fn before(mut self, work: impl Future<Output = ()> + 'a) -> Step<'a> {
        self.before = Some(Box::pin(work));
        self
    }

    /// `main.tf` becomes `config`.
    pub fn config(mut self, config: String) -> Step<'a> {
        self.config = Some(config);
        self
    }

    /// The plan must be as `plan` says.
    pub fn plan(mut self, plan: Plan) -> Step<'a> {
        self.plan = Some(plan);
        self
    }

    /// `terraform apply` succeeds and then `check` holds.
    pub fn apply(mut self, check: impl Future<Output = ()> + 'a) -> Step<'a> {
        self.apply = Some(Box::pin(check));
        self
    }

    /// The plan after the step is empty.
    pub fn empty_plan(mut self) -> Step<'a> {
        self.empty_plan = true;
        self
    }

    async fn run(self, tf: &Tf) {
        let name = &self.name;
        if let Some(before) = self.before {
            in_step(name, before).await;
        }
        if let Some(config) = &self.config {
            tf.write("main.tf", config);
        }
        if let Some(plan) = &self.plan {
            in_step(&format!("{name}: the plan"), plan.check(tf)).await;
        }
        if let Some(check) = self.apply {
            in_step(&format!("{name}: the apply"), async {
                tf.apply_ok().await;
                check.await
            })
            .await;
        }
        if self.empty_plan {
            in_step(&format!("{name}: empty plan"), tf.assert_empty_plan()).await;
        }
    }
}

/// The plan right after the imports.
#[derive(Clone, Copy, PartialEq)]
enum AfterImport {
    Empty,
    /// The configuration takes secrets from sensitive variables: see
    /// `Tf::assert_no_change_but_sensitivity_marks`.
    SensitivityMarksOnly,
}

/// The house protocol of one configuration in one working directory.
pub struct Protocol<'a> {
    tf: &'a Tf,
    config: String,
    applied: Option<Hook<'a>>,
    refresh_before_import: bool,
    imports: Vec<(String, String)>,
    after_import: AfterImport,
    steps: Vec<Step<'a>>,
    clean: Option<Hook<'a>>,
}

impl<'a> Protocol<'a> {
    /// The protocol of `config` (the whole `main.tf`) in `tf`.
    pub fn new(tf: &'a Tf, config: String) -> Protocol<'a> {
        Protocol {
            tf,
            config,
            applied: None,
            refresh_before_import: false,
            imports: Vec::new(),
            after_import: AfterImport::Empty,
            steps: Vec::new(),
            clean: None,
        }
    }

    /// What the devices and the state must show after the first apply.
    pub fn applied(mut self, check: impl Future<Output = ()> + 'a) -> Protocol<'a> {
        self.applied = Some(Box::pin(check));
        self
    }

    /// `address` is dropped from the state and imported again by `id`; its state must equal the
    /// applied one, nothing ignored.
    pub fn import(mut self, address: &str, id: String) -> Protocol<'a> {
        self.imports.push((address.to_string(), id));
        self
    }

    /// Refresh the state before the imports, for attributes the devices move by themselves
    /// (binlog positions), so the comparison is with what the import reads.
    pub fn refresh_before_import(mut self) -> Protocol<'a> {
        self.refresh_before_import = true;
        self
    }

    /// The configuration takes secrets from sensitive variables, so on Terraform 1.0.3 the plan
    /// after the imports may update their sensitivity marks, with equal values (the xop docs).
    pub fn sensitive_variables(mut self) -> Protocol<'a> {
        self.after_import = AfterImport::SensitivityMarksOnly;
        self
    }

    pub fn step(mut self, step: Step<'a>) -> Protocol<'a> {
        self.steps.push(step);
        self
    }

    /// After `terraform destroy`, the devices are clean as `check` says.
    pub fn device_clean(mut self, check: impl Future<Output = ()> + 'a) -> Protocol<'a> {
        self.clean = Some(Box::pin(check));
        self
    }

    pub async fn run(self) {
        let tf = self.tf;
        tf.write("main.tf", &self.config);
        in_step("init", tf.init()).await;
        in_step("apply", async {
            tf.apply_ok().await;
            if let Some(check) = self.applied {
                check.await;
            }
        })
        .await;
        in_step("empty plan after the apply", tf.assert_empty_plan()).await;
        if !self.imports.is_empty() {
            in_step("import and compare", async {
                if self.refresh_before_import {
                    tf.refresh().await;
                }
                for (address, id) in &self.imports {
                    let applied = tf.resource_values(address).await;
                    tf.reimport(address, id).await;
                    assert_eq!(
                        tf.resource_values(address).await,
                        applied,
                        "imported {address} equals applied"
                    );
                }
                match self.after_import {
                    AfterImport::Empty => tf.assert_empty_plan().await,
                    AfterImport::SensitivityMarksOnly => {
                        tf.assert_no_change_but_sensitivity_marks().await
                    }
                }
            })
            .await;
        }
        for step in self.steps {
            step.run(tf).await;
        }
        in_step("destroy", tf.destroy_ok()).await;
        if let Some(check) = self.clean {
            in_step("device clean", check).await;
        }
    }
}
